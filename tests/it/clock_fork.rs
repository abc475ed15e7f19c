//! fork() and the process-wide clock state. Its own test binary: the race
//! needs a process whose clock has not yet decided whether to use the TSC.

use std::time::Duration;

/// Forks a fresh process that starts deciding on one thread and forks
/// again `delay` later, on another; reports whether the grandchild's first
/// clock call returned (it gets 20 s, then SIGALRM: a hang, not a loaded machine).
fn grandchild_reads_the_clock(delay: Duration) -> bool {
    // SAFETY: the child is single-threaded until it spawns its own thread;
    // it ends with _exit.
    let child = unsafe { libc::fork() };
    assert!(child >= 0);
    if child == 0 {
        let decider = std::thread::spawn(binlog::clock::prepare);
        std::thread::sleep(delay);
        // SAFETY: the grandchild calls only the clock, alarm and _exit.
        let grandchild = unsafe { libc::fork() };
        if grandchild == 0 {
            unsafe { libc::alarm(20) };
            let t = binlog::clock::now_ns();
            unsafe { libc::_exit(if t > 0 { 0 } else { 1 }) };
        }
        let _ = decider.join();
        let mut status = 0;
        unsafe { libc::waitpid(grandchild, &mut status, 0) };
        let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// A process forked while another of its parent's threads was deciding
/// whether to use the TSC (opening the first writer) inherits that decision
/// half made, and no thread to finish it: its clock must still answer.
#[test]
fn a_child_forked_while_the_clock_was_deciding_reads_it() {
    let mut hung = Vec::new();
    for us in (0..800).step_by(2) {
        if !grandchild_reads_the_clock(Duration::from_micros(us)) {
            hung.push(us);
        }
    }
    assert!(
        hung.is_empty(),
        "hung after forks {hung:?} us into deciding"
    );
}
