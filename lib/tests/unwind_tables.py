#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Description: every function in the given relocatable objects starts an
# FDE of their .eh_frame (DWARF call frame information).
#
# Why: acting on a cancellation is a forced unwind (pthread_exit ->
# _Unwind_ForcedUnwind) from the cancellation point up to the thread's
# start, through libcp's frames, the drop-in's and the harness's.  The
# unwinder stops at the first frame it has no FDE for and reports the end
# of the stack; the C library then ends the thread there, so every C++
# destructor, catch (...) and C++ cleanup above that frame is skipped.  A
# compiler that emits no unwind tables for C by default (GCC for riscv64)
# shows it only where that is the default; this check shows it on any
# build, from the objects themselves, without running them.
#
# usage: unwind_tables.py OBJECT.o ...   (exit 0 all covered, 1 not, 2 bad input)
# Standard library only: it also runs on a VM guest's python3, which has
# no binutils.
import struct
import sys

SHT_SYMTAB, SHT_REL, SHT_RELA = 2, 9, 4
SHF_EXECINSTR = 0x4
STT_FUNC = 2


class Elf:
    def __init__(self, path):
        with open(path, 'rb') as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b'\x7fELF' or d[5] != 1:
            raise ValueError('not a little-endian ELF file')
        self.is64 = d[4] == 2
        if struct.unpack_from('<H', d, 16)[0] != 1:
            raise ValueError('not a relocatable object (ET_REL)')
        if self.is64:
            shoff, = struct.unpack_from('<Q', d, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
        else:
            shoff, = struct.unpack_from('<I', d, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x2e)
        fmt = '<IIQQQQIIQQ' if self.is64 else '<IIIIIIIIII'
        self.sections = [struct.unpack_from(fmt, d, shoff + i * shentsize)
                         for i in range(shnum)]
        names = self.sections[shstrndx]
        self.names = [self.cstr(names[4] + s[0]) for s in self.sections]

    def cstr(self, off):
        return self.data[off:self.data.index(b'\0', off)].decode()

    def body(self, i):
        s = self.sections[i]
        return self.data[s[4]:s[4] + s[5]]

    def symbols(self):
        """(name, type, shndx, value, size) of .symtab, in order."""
        for i, s in enumerate(self.sections):
            if s[1] != SHT_SYMTAB:
                continue
            strtab = self.sections[s[6]][4]
            raw = self.body(i)
            size = 24 if self.is64 else 16
            out = []
            for off in range(0, len(raw), size):
                if self.is64:
                    name, info, _, shndx, value, sz = struct.unpack_from(
                        '<IBBHQQ', raw, off)
                else:
                    name, value, sz, info, _, shndx = struct.unpack_from(
                        '<IIIBBH', raw, off)
                out.append((self.cstr(strtab + name), info & 0xf, shndx,
                            value, sz))
            return out
        return []

    def relocations(self, target):
        """{offset: (symbol index, addend or None)} applying to section
        `target` (None: REL, the addend is in place)."""
        out = {}
        for s in self.sections:
            if s[1] not in (SHT_REL, SHT_RELA) or s[7] != target:
                continue
            rela = s[1] == SHT_RELA
            raw = self.data[s[4]:s[4] + s[5]]
            if self.is64:
                fmt, shift = ('<QQq' if rela else '<QQ'), 32
            else:
                fmt, shift = ('<IIi' if rela else '<II'), 8
            for off in range(0, len(raw), struct.calcsize(fmt)):
                r = struct.unpack_from(fmt, raw, off)
                # First relocation at an offset wins: riscv64 pairs
                # ADD/SUB relocations on pc_range, never on pc_begin.
                out.setdefault(r[0], (r[1] >> shift, r[2] if rela else None))
        return out


def fde_starts(elf):
    """(section index, offset) where each FDE of .eh_frame begins."""
    starts = set()
    for i, name in enumerate(elf.names):
        if name != '.eh_frame':
            continue
        raw = elf.body(i)
        relocs = elf.relocations(i)
        syms = elf.symbols()
        off = 0
        while off + 8 <= len(raw):
            length, cie_id = struct.unpack_from('<II', raw, off)
            if length == 0:
                break
            if cie_id != 0 and off + 8 in relocs:
                sym, addend = relocs[off + 8]
                if addend is None:
                    addend, = struct.unpack_from('<i', raw, off + 8)
                _, _, shndx, value, _ = syms[sym]
                starts.add((shndx, value + addend))
            off += 4 + length
    return starts


def uncovered(path):
    elf = Elf(path)
    starts = fde_starts(elf)
    missing = []
    for name, kind, shndx, value, size in elf.symbols():
        if kind != STT_FUNC or size == 0 or not 0 < shndx < len(elf.sections):
            continue
        if not elf.sections[shndx][2] & SHF_EXECINSTR:
            continue
        if (shndx, value) not in starts:
            missing.append(name)
    return missing


def main(paths):
    if not paths:
        print('usage: unwind_tables.py OBJECT.o ...', file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        try:
            missing = uncovered(path)
        except (OSError, ValueError, IndexError, struct.error) as e:
            print(f'error: {path}: {e}: give the build\'s .o files')
            return 2
        if missing:
            bad += 1
            print(f'not ok: {path}: no unwind table entry (FDE) for '
                  f'{", ".join(sorted(missing))}: build it with '
                  '-fasynchronous-unwind-tables')
    if bad:
        print(f'{bad} of {len(paths)} objects have functions a forced unwind '
              'cannot pass through: a cancellation there skips C++ '
              'destructors and catch (...)')
        return 1
    print(f'ok: every function of {len(paths)} objects has an FDE')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
