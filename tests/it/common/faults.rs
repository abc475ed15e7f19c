//! Faults injected into one thread's system calls with a seccomp filter
//! (the thread that installs it; the filter dies with it): other threads
//! (a reader, a log's background thread) are not affected, and nothing
//! about the files is faked.

/// A system call made to fail on the thread that installs the filter.
#[derive(Clone, Copy, Debug)]
pub enum Fail {
    /// fsync (what syncing a directory uses; segments use fdatasync): EIO.
    DirSync,
    /// unlink and unlinkat: EIO.
    Unlink,
    /// pwrite64 at offset 0 (only a new segment's header is written
    /// there): ENOSPC.
    HeaderWrite,
    /// pread64 (what a reader copies an unsealed segment's records with):
    /// EIO.
    Pread,
}

#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// BPF_LD | BPF_W | BPF_ABS
const BPF_LD_W_ABS: u16 = 0x20;
/// BPF_JMP | BPF_JEQ | BPF_K
const BPF_JEQ_K: u16 = 0x15;
/// BPF_RET | BPF_K
const BPF_RET_K: u16 = 0x06;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

fn stmt(code: u16, k: u32) -> SockFilter {
    SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jeq(k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter {
        code: BPF_JEQ_K,
        jt,
        jf,
        k,
    }
}

/// Installs a seccomp filter on the calling thread (not the process: no
/// TSYNC) that fails the given calls; every other call is allowed.
pub fn fail_on_this_thread(fails: &[Fail]) {
    // (syscall, offset-0 check, errno)
    let mut rules: Vec<(i64, bool, i32)> = Vec::new();
    for f in fails {
        match f {
            Fail::DirSync => rules.push((libc::SYS_fsync, false, libc::EIO)),
            Fail::Unlink => {
                #[cfg(target_arch = "x86_64")]
                rules.push((libc::SYS_unlink, false, libc::EIO));
                rules.push((libc::SYS_unlinkat, false, libc::EIO));
            }
            Fail::HeaderWrite => rules.push((libc::SYS_pwrite64, true, libc::ENOSPC)),
            Fail::Pread => rules.push((libc::SYS_pread64, false, libc::EIO)),
        }
    }
    let mut prog = vec![stmt(BPF_LD_W_ABS, 4)]; // seccomp_data.arch
    let body: usize = rules.iter().map(|r| if r.1 { 7 } else { 3 }).sum();
    prog.push(jeq(AUDIT_ARCH, 0, (body) as u8));
    for &(nr, at_zero, errno) in &rules {
        prog.push(stmt(BPF_LD_W_ABS, 0)); // seccomp_data.nr
        if at_zero {
            // pwrite64's 4th argument (the offset), both halves zero.
            prog.push(jeq(nr as u32, 0, 5));
            prog.push(stmt(BPF_LD_W_ABS, 16 + 3 * 8));
            prog.push(jeq(0, 0, 3));
            prog.push(stmt(BPF_LD_W_ABS, 16 + 3 * 8 + 4));
            prog.push(jeq(0, 0, 1));
        } else {
            prog.push(jeq(nr as u32, 0, 1));
        }
        prog.push(stmt(BPF_RET_K, RET_ERRNO | errno as u32));
    }
    prog.push(stmt(BPF_RET_K, RET_ALLOW));
    let fprog = SockFprog {
        len: prog.len() as u16,
        filter: prog.as_ptr(),
    };
    // SAFETY: prctl on the calling thread with a filter program that lives
    // until the call returns (the kernel copies it).
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let rc = libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const SockFprog,
        );
        assert_eq!(
            rc,
            0,
            "installing a seccomp filter failed: {}; this test needs seccomp and fails \
             rather than skip",
            std::io::Error::last_os_error()
        );
    }
}

/// Runs `f` on a new thread on which `fails` fail (see `Fail`).
pub fn with_failures<T: Send>(fails: &[Fail], f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            fail_on_this_thread(fails);
            f()
        })
        .join()
        .expect("failing thread panicked")
    })
}
