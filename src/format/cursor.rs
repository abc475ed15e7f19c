//! A bounds-checked reader over a byte slice. Every read returns `None` when
//! the slice is too short, so decoders never index out of range.

use super::varint;

/// A method per integer type, named as the type, that reads one
/// little-endian.
macro_rules! little_endian {
    ($($int:ident),*) => {$(
        pub fn $int(&mut self) -> Option<$int> {
            self.array().map($int::from_le_bytes)
        }
    )*};
}

#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.remaining() {
            return None;
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(out)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N).map(|b| b.try_into().expect("length checked"))
    }

    little_endian!(u8, u16, u32, u64, i64);

    pub fn varint(&mut self) -> Option<u64> {
        let (v, n) = varint::decode(self.rest())?;
        self.pos += n;
        Some(v)
    }

    /// A varint length followed by that many bytes.
    pub fn var_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.varint()?;
        self.bytes(usize::try_from(n).ok()?)
    }

    /// A u16 length followed by that many bytes of UTF-8 text; `None` when
    /// cut short or not UTF-8.
    pub fn short_string(&mut self) -> Option<String> {
        let n = self.u16()?;
        String::from_utf8(self.bytes(n as usize)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_reads_are_none() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.u16(), Some(0x0201));
        assert_eq!(c.u16(), None);
        assert_eq!(c.u8(), Some(3));
        assert_eq!(c.u8(), None);
    }

    #[test]
    fn var_bytes_never_overreads() {
        // length 200 but only 2 bytes follow
        let mut c = Cursor::new(&[0xc8, 0x01, 9, 9]);
        assert_eq!(c.var_bytes(), None);
    }
}
