//! Zstandard layers as a stream of frames.
//!
//! A zstd stream may hold several frames back to back, and skippable frames between them
//! (RFC 8878 §3.1; `zstd:chunked` layers use both). ruzstd's `StreamingDecoder` reads one
//! frame, so this reads frame after frame until the input ends.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// Frames declaring a larger window are refused: the window is allocated up front.
const MAX_WINDOW: u64 = 64 << 20;

/// Decompressed bytes of every frame of a zstd stream, in order.
pub struct Frames<R> {
    source: BufReader<R>,
    decoder: FrameDecoder,
    in_frame: bool,
}

impl<R: Read> Frames<R> {
    pub fn new(source: R) -> Self {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(MAX_WINDOW);
        Frames {
            source: BufReader::new(source),
            decoder,
            in_frame: false,
        }
    }
}

impl<R: Read> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                if self.decoder.can_collect() > 0 {
                    return self.decoder.read(buf);
                }
                if self.decoder.is_finished() {
                    self.in_frame = false;
                    continue;
                }
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(io::Error::other)?;
                continue;
            }
            if self.source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruzstd::encoding::{compress_to_vec, CompressionLevel};

    #[test]
    fn reads_every_frame_and_skips_skippable_ones() {
        let mut stream = compress_to_vec(&b"first "[..], CompressionLevel::Fastest);
        // A skippable frame: magic 0x184D2A5?, little-endian length, then that many bytes.
        stream.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        stream.extend(compress_to_vec(&b"second"[..], CompressionLevel::Fastest));
        let mut out = Vec::new();
        Frames::new(&stream[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"first second");
    }
}
