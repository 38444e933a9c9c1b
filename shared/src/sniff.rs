//! What kind of file some bytes are, read from the bytes alone (never a file name or a client's
//! `Content-Type`): PDF, PNG or JPEG, each checked at both ends where its format has an end marker, so a file
//! cut short in transit is refused rather than kept as evidence that will not open at the inspection.
//!
//! Everything else is refused, with a message saying what it looks like: HTML or SVG (which a browser would
//! run as a page if it were ever served as one, even renamed `.pdf`), GIF, an empty file. Served files carry
//! the type read here and `nosniff`, so what was checked is what the browser is told.

/// The bytes kept at each end of a body while it streams by: a PDF's `%%EOF` must be within its last 1024.
pub const END_WINDOW: usize = 1024;

/// The kinds of file kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Png,
    Jpeg,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
        }
    }

    pub fn parse(s: &str) -> Option<MediaType> {
        [MediaType::Pdf, MediaType::Png, MediaType::Jpeg]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// The extension a download is named with.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Png => "png",
            MediaType::Jpeg => "jpg",
        }
    }
}

/// Why bytes are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// Starts as a PDF but has no `%%EOF` near its end: cut short, or not a PDF.
    PdfWithoutEnd,
    /// Starts as a JPEG but does not end with its end-of-image marker (FF D9).
    JpegWithoutEnd,
    Html,
    Svg,
    Gif,
    Other,
}

impl Refusal {
    /// For the person uploading: Japanese first, then English.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Empty => "ファイルが空です (the file is empty)",
            Refusal::PdfWithoutEnd => {
                "PDFが途中で切れているか壊れています（末尾に %%EOF がありません） (the PDF is cut short or damaged: no %%EOF at its end)"
            }
            Refusal::JpegWithoutEnd => {
                "JPEG画像が途中で切れているか壊れています (the JPEG is cut short or damaged: no end-of-image marker)"
            }
            Refusal::Html => {
                "HTMLは保存できません。PDF・PNG・JPEGだけです (HTML is not accepted, whatever its name: only PDF, PNG and JPEG)"
            }
            Refusal::Svg => {
                "SVGは保存できません。PDF・PNG・JPEGだけです (SVG is not accepted: only PDF, PNG and JPEG)"
            }
            Refusal::Gif => {
                "GIFは保存できません。PNGかJPEGにしてください (GIF is not accepted: use PNG or JPEG)"
            }
            Refusal::Other => {
                "PDF・PNG・JPEGのファイルだけを保存できます (only PDF, PNG and JPEG files are accepted)"
            }
        }
    }
}

/// Reads a body's two ends as it streams by, keeping at most [`END_WINDOW`] bytes of each.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    tail: Vec<u8>,
    size: u64,
}

impl Sniffer {
    pub fn update(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        let room = END_WINDOW - self.head.len();
        self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let chunk = &chunk[chunk.len().saturating_sub(END_WINDOW)..];
        self.tail.extend_from_slice(chunk);
        let excess = self.tail.len().saturating_sub(END_WINDOW);
        self.tail.drain(..excess);
    }

    /// What the bytes seen are.
    pub fn finish(&self) -> Result<MediaType, Refusal> {
        sniff(&self.head, &self.tail, self.size)
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// What a file is from its first and last (up to) [`END_WINDOW`] bytes and its size.
pub fn sniff(head: &[u8], tail: &[u8], size: u64) -> Result<MediaType, Refusal> {
    if size == 0 {
        return Err(Refusal::Empty);
    }
    if head.starts_with(b"%PDF-") {
        return if contains(tail, b"%%EOF") {
            Ok(MediaType::Pdf)
        } else {
            Err(Refusal::PdfWithoutEnd)
        };
    }
    if head.starts_with(PNG_SIGNATURE) {
        return Ok(MediaType::Png);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // Three bytes of start and two of end may overlap in a file too short to be an image.
        return if size >= 5 && tail.ends_with(&[0xFF, 0xD9]) {
            Ok(MediaType::Jpeg)
        } else {
            Err(Refusal::JpegWithoutEnd)
        };
    }
    Err(what_it_looks_like(head))
}

/// A name for refused bytes, for the message only (nothing is decided by it).
fn what_it_looks_like(head: &[u8]) -> Refusal {
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Refusal::Gif;
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.contains("<svg") {
        Refusal::Svg
    } else if text.contains("<!doctype html")
        || text.contains("<html")
        || text.contains("<script")
        || text.contains("<body")
    {
        Refusal::Html
    } else {
        Refusal::Other
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams `bytes` through a sniffer in chunks of `size`.
    fn streamed(bytes: &[u8], size: usize) -> Result<MediaType, Refusal> {
        let mut s = Sniffer::default();
        for chunk in bytes.chunks(size) {
            s.update(chunk);
        }
        s.finish()
    }

    fn pdf(body_len: usize) -> Vec<u8> {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.extend(std::iter::repeat_n(b'x', body_len));
        b.extend_from_slice(b"\n%%EOF\n");
        b
    }

    #[test]
    fn pdf_png_and_jpeg_are_read_from_their_bytes_at_both_ends() {
        for chunk in [1, 7, 1000, 4096, 1 << 20] {
            assert_eq!(streamed(&pdf(50_000), chunk), Ok(MediaType::Pdf));
            let mut png = PNG_SIGNATURE.to_vec();
            png.extend_from_slice(&[0; 100]);
            assert_eq!(streamed(&png, chunk), Ok(MediaType::Png));
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
            jpeg.extend(std::iter::repeat_n(0x42, 5000));
            jpeg.extend_from_slice(&[0xFF, 0xD9]);
            assert_eq!(streamed(&jpeg, chunk), Ok(MediaType::Jpeg));
        }
        // %%EOF anywhere in the last 1024 bytes (trailing whitespace, an incremental update's comment).
        let mut trailing = pdf(10);
        trailing.extend(std::iter::repeat_n(b' ', END_WINDOW - 7));
        assert_eq!(streamed(&trailing, 100), Ok(MediaType::Pdf));
    }

    #[test]
    fn a_pdf_or_jpeg_without_its_end_is_refused() {
        let mut cut = pdf(50_000);
        cut.truncate(30_000);
        assert_eq!(streamed(&cut, 4096), Err(Refusal::PdfWithoutEnd));
        // %%EOF early in the file does not make a cut file whole.
        let mut early = b"%PDF-1.4\n%%EOF\n".to_vec();
        early.extend(std::iter::repeat_n(b'x', END_WINDOW + 10));
        assert_eq!(streamed(&early, 333), Err(Refusal::PdfWithoutEnd));
        // %%EOF just outside the window.
        let mut far = pdf(10);
        far.extend(std::iter::repeat_n(b' ', END_WINDOW));
        assert_eq!(streamed(&far, 100), Err(Refusal::PdfWithoutEnd));
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend(std::iter::repeat_n(0x42, 5000));
        assert_eq!(streamed(&jpeg, 512), Err(Refusal::JpegWithoutEnd));
        assert_eq!(
            streamed(&[0xFF, 0xD8, 0xFF, 0xD9], 1),
            Err(Refusal::JpegWithoutEnd)
        );
    }

    #[test]
    fn everything_else_is_refused_and_named() {
        let cases: [(&[u8], Refusal); 8] = [
            (b"", Refusal::Empty),
            (b"<!DOCTYPE html><html><script>alert(1)</script>", Refusal::Html),
            (b"\xEF\xBB\xBF  <HTML><body>", Refusal::Html),
            (
                b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
                Refusal::Svg,
            ),
            (b"GIF89a\x01\x00\x01\x00", Refusal::Gif),
            (b"PK\x03\x04 a zip", Refusal::Other),
            // A PDF signature not at the very start is not a PDF (browsers' own sniffing is looser).
            (b" %PDF-1.7\n%%EOF", Refusal::Other),
            (b"\x89PNG\r\n", Refusal::Other),
        ];
        for (bytes, refusal) in cases {
            assert_eq!(
                streamed(bytes, 3),
                Err(refusal),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
            assert!(!refusal.message().is_empty());
        }
        // HTML renamed .pdf that happens to end with %%EOF is still not a PDF.
        assert_eq!(streamed(b"<!DOCTYPE html><p>%%EOF", 5), Err(Refusal::Html));
    }

    #[test]
    fn media_types_round_trip() {
        for m in [MediaType::Pdf, MediaType::Png, MediaType::Jpeg] {
            assert_eq!(MediaType::parse(m.as_str()), Some(m));
        }
        assert_eq!(MediaType::parse("text/html"), None);
    }
}
