/*
 * A stand-in for bcryptprimitives.dll, for the Wine smoke run of .ci/run
 * only. Rust's std (1.78 and later) imports ProcessPrng from it for its
 * random numbers (HashMap keys); Windows 10 and later have it, but Debian
 * 12's Wine 8.0 does not, so no Rust program starts there. This one does
 * what ProcessPrng does, with RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. It is copied next to the .exe files under test and is
 * never part of what the project ships.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
