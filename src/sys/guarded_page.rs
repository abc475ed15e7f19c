//! For tests: one page of readable memory followed by a page that cannot
//! be read, as the end of a segment's mapping can be, so that any read
//! past the first page's end faults.

/// A private anonymous mapping of two pages, the second unreadable;
/// unmapped when dropped.
pub(crate) struct GuardedPage {
    base: *mut u8,
    page: usize,
}

impl GuardedPage {
    pub fn new() -> GuardedPage {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        // SAFETY: a fresh private anonymous mapping of two pages, the
        // second made unreadable before any slice of the first is made.
        let base = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            assert_eq!(
                libc::mprotect(p.cast::<u8>().add(page).cast(), page, libc::PROT_NONE),
                0
            );
            p.cast::<u8>()
        };
        GuardedPage { base, page }
    }

    /// The readable page; the byte after its end cannot be read.
    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the first page is readable and writable, and borrowed
        // from `self` only.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.page) }
    }
}

impl Drop for GuardedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        assert_eq!(unsafe { libc::munmap(self.base.cast(), 2 * self.page) }, 0);
    }
}
