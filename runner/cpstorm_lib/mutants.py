# SPDX-License-Identifier: MIT
"""The mutant catalogue (mutants/*.mutant): reading it, and applying a
mutant to a source tree and undoing it.

A mutant is one realistic bug in lib/ or arch/, written as search and
replace edits rather than a diff, so that it keeps applying while the code
around it moves, and fails loudly (the text is gone, or is there twice)
when the code it mutates changed.  The format, one file per mutant:

    # comment lines (outside a block)
    what: the sentence that says what the mutant breaks; further lines
      of it are indented
    origin: review            (optional: re-creates a defect a review or
                              the storm found: review, storm)
    equivalent: why           (optional: argued equivalent, not scored)
    file: lib/frame.c
    <<<<
    text to find, exactly once in the file
    ====
    its replacement
    >>>>

Several blocks may follow one file: line, and several file: lines one
mutant.  Block lines are taken verbatim (tabs included)."""

import os
from dataclasses import dataclass, field

from .errors import UserError

SUFFIX = ".mutant"
KEYS = ("what", "origin", "equivalent")
FIND, WITH, END = "<<<<", "====", ">>>>"


@dataclass
class Edit:
    path: str        # relative to the source tree
    find: str
    replace: str


@dataclass
class Mutant:
    name: str
    what: str
    origin: str = ""
    equivalent: str = ""
    edits: list = field(default_factory=list)
    source: str = ""   # the catalogue file, for messages


def _error(source, lineno, message):
    return UserError(f"{source}:{lineno}: {message}")


def _block(lines, i, source):
    """The find and replace texts of the block opening at lines[i]; the
    index after its closing line."""
    parts, cur = [], []
    for j in range(i + 1, len(lines)):
        line = lines[j]
        if line == WITH and not parts:
            parts.append(cur)
            cur = []
        elif line == END and parts:
            parts.append(cur)
            find, repl = ("".join(ln + "\n" for ln in p) for p in parts)
            if not parts[0]:
                raise _error(source, i + 1, "the block finds nothing: put "
                             "the text to replace between <<<< and ====")
            if find == repl:
                raise _error(source, i + 1, "the block replaces its text "
                             "with itself: a mutant must change something")
            return find, repl, j + 1
        elif line in (FIND, WITH, END):
            raise _error(source, j + 1, f"unexpected '{line}' (a block is "
                         "<<<<, the text, ====, its replacement, >>>>)")
        else:
            cur.append(line)
    raise _error(source, i + 1, "block not closed: it needs ==== and >>>>")


def parse(text, name, source):
    """A Mutant from a catalogue file's text; UserError saying where the
    text is wrong."""
    lines = text.split("\n")
    meta, key, path, edits = {}, None, None, []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == FIND:
            if path is None:
                raise _error(source, i + 1, "a block before any 'file:' line")
            find, repl, i = _block(lines, i, source)
            edits.append(Edit(path, find, repl))
            key = None
            continue
        i += 1
        if not line.strip() or line.startswith("#"):
            key = None
            continue
        if line[0] in " \t" and key:
            meta[key] += " " + line.strip()
            continue
        k, sep, value = line.partition(":")
        k = k.strip()
        if not sep or (k not in KEYS and k != "file"):
            raise _error(source, i, f"expected one of {', '.join(KEYS)}, "
                         f"file: or a <<<< block, got '{line.strip()}'")
        if k == "file":
            path = os.path.normpath(value.strip())
            if not value.strip() or path.startswith("..") or \
                    os.path.isabs(path):
                raise _error(source, i, "file: takes a path inside the "
                             f"source tree, got '{value.strip()}'")
            key = None
            continue
        if k in meta:
            raise _error(source, i, f"'{k}:' given twice")
        meta[k] = value.strip()
        key = k
    if not meta.get("what"):
        raise _error(source, 1, "no 'what:' line saying what the mutant "
                     "breaks")
    if not edits:
        raise _error(source, 1, "no edit: give a file: line and a <<<< "
                     "block")
    return Mutant(name, meta["what"], meta.get("origin", ""),
                  meta.get("equivalent", ""), edits, source)


def load(folder, selection="all"):
    """Every mutant of the catalogue folder, by name order, or those named
    in `selection` (comma-separated)."""
    try:
        names = sorted(f[:-len(SUFFIX)] for f in os.listdir(folder)
                       if f.endswith(SUFFIX))
    except OSError as e:
        raise UserError(f"cannot read the mutant catalogue {folder}: "
                        f"{e.strerror}")
    if not names:
        raise UserError(f"no *{SUFFIX} files in {folder}")
    if selection != "all":
        chosen = [n.strip() for n in selection.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in names]
        if unknown or not chosen:
            raise UserError(f"unknown mutant '{', '.join(unknown) or selection}'"
                            f" (choose from: {', '.join(names)})")
        names = list(dict.fromkeys(chosen))
    out = []
    for n in names:
        source = os.path.join(folder, n + SUFFIX)
        with open(source, encoding="utf-8") as f:
            out.append(parse(f.read(), n, os.path.relpath(source)))
    return out


def problems(mutant, root):
    """Why the mutant does not apply to the tree at root ([] when it
    does): each edit's text must be there exactly once."""
    out, texts = [], {}
    for e in mutant.edits:
        full = os.path.join(root, e.path)
        if e.path not in texts:
            try:
                with open(full, encoding="utf-8") as f:
                    texts[e.path] = f.read()
            except OSError as err:
                out.append(f"{e.path}: {err.strerror}")
                continue
        n = texts[e.path].count(e.find)
        if n != 1:
            first = e.find.strip().splitlines()[0].strip()
            out.append(f"{e.path}: the text to replace (from '{first}') "
                       f"occurs {n} times, not once: the code it mutates "
                       "changed; update the mutant")
            continue
        texts[e.path] = texts[e.path].replace(e.find, e.replace)
    return out


def apply(mutant, root):
    """Apply the mutant to the tree at root; returns what undo() needs.
    UserError when it does not apply (nothing is changed then)."""
    why = problems(mutant, root)
    if why:
        raise UserError(f"{mutant.source}: " + "; ".join(why))
    saved = {}
    for e in mutant.edits:
        full = os.path.join(root, e.path)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        saved.setdefault(e.path, text)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text.replace(e.find, e.replace))
    return saved


def undo(saved, root):
    for path, text in saved.items():
        with open(os.path.join(root, path), "w", encoding="utf-8") as f:
            f.write(text)
