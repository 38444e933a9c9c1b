//! What a printed PDF shows, read back for assertions: each page's text runs with where they sit and the
//! size they are drawn at, as a reader would see them (Chromium's PDFs: compressed content streams, subset
//! fonts with ToUnicode maps, positions set by `cm` and `Tm`), radicals read as the
//! characters they stand for.

use std::collections::BTreeMap;

use lopdf::{Document, Encoding, Object, content::Content};
use unicode_normalization::UnicodeNormalization;

/// One text-showing operation on a page.
#[derive(Debug, Clone)]
pub struct Run {
    pub text: String,
    /// From the top of the page, in points (PDF space turned the way one reads).
    pub top: f32,
    pub left: f32,
    /// The size a reader sees, in points: the font size times the scale of the text and page matrices.
    pub size: f32,
}

/// A printed document: its pages' size and text runs.
pub struct Printed {
    /// Width and height of each page, in points.
    pub sizes: Vec<(f32, f32)>,
    /// Each page's runs, in drawing order.
    pub pages: Vec<Vec<Run>>,
}

type Matrix = [f32; 6];

fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn number(o: &Object) -> f32 {
    o.as_float().unwrap_or(0.0)
}

fn matrix(ops: &[Object]) -> Matrix {
    let mut m = [0.0; 6];
    for (i, o) in ops.iter().take(6).enumerate() {
        m[i] = number(o);
    }
    m
}

fn decode(encoding: Option<&Encoding>, operands: &[Object], out: &mut String) {
    for o in operands {
        match o {
            Object::String(bytes, _) => {
                if let Some(text) = encoding.and_then(|e| Document::decode_text(e, bytes).ok()) {
                    out.push_str(&text);
                }
            }
            Object::Array(items) => decode(encoding, items, out),
            _ => {}
        }
    }
}

/// The fonts' maps give some characters as radicals (⽤ for 用, ⽇ for 日, ⻑ for 長) and the middle dot
/// ・ as ‧: those are read back as what they stand for (NFKC for the radicals that have a decomposition),
/// nothing else is changed (NFKC would also turn ① into 1 and （ into ( ).
fn unradical(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let folded: Vec<char> = match c {
                '\u{2027}' => vec!['・'],
                '\u{2ed1}' => vec!['長'],
                c if ('\u{2e80}'..='\u{2fdf}').contains(&c) => c.nfkc().collect(),
                c => vec![c],
            };
            folded
        })
        .collect()
}

impl Printed {
    /// Reads a PDF's pages. Panics on anything it cannot read: the test is about this PDF.
    pub fn read(pdf: &[u8]) -> Printed {
        let doc = Document::load_mem(pdf).expect("a valid PDF");
        let mut sizes = Vec::new();
        let mut pages = Vec::new();
        for (_, page) in doc.get_pages() {
            let media = doc
                .get_dictionary(page)
                .and_then(|d| d.get(b"MediaBox"))
                .and_then(Object::as_array)
                .expect("a page's MediaBox");
            let height = number(&media[3]);
            sizes.push((number(&media[2]), height));
            let fonts = doc.get_page_fonts(page).expect("the page's fonts");
            let encodings: BTreeMap<Vec<u8>, Encoding> = fonts
                .into_iter()
                .filter_map(|(name, font)| font.get_font_encoding(&doc).ok().map(|e| (name, e)))
                .collect();
            let content = Content::decode(&doc.get_page_content(page).expect("page content"))
                .expect("a readable content stream");
            let mut runs = Vec::new();
            let mut stack: Vec<Matrix> = Vec::new();
            let mut ctm: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
            let mut tm: Matrix = ctm;
            let mut line: Matrix = ctm;
            let mut font: Option<&Encoding> = None;
            let mut font_size = 0.0;
            let mut leading = 0.0;
            for op in &content.operations {
                let o = &op.operands;
                match op.operator.as_str() {
                    "q" => stack.push(ctm),
                    "Q" => ctm = stack.pop().unwrap_or(ctm),
                    "cm" => ctm = multiply(&matrix(o), &ctm),
                    "BT" => {
                        tm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
                        line = tm;
                    }
                    "Tm" => {
                        tm = matrix(o);
                        line = tm;
                    }
                    "Td" | "TD" => {
                        let (tx, ty) = (number(&o[0]), number(&o[1]));
                        if op.operator == "TD" {
                            leading = -ty;
                        }
                        line = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &line);
                        tm = line;
                    }
                    "TL" => leading = number(&o[0]),
                    "T*" => {
                        line = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &line);
                        tm = line;
                    }
                    "Tf" => {
                        font = o
                            .first()
                            .and_then(|n| n.as_name().ok())
                            .and_then(|n| encodings.get(n));
                        font_size = o.get(1).map(number).unwrap_or(0.0);
                    }
                    "Tj" | "TJ" | "'" | "\"" => {
                        let mut raw = String::new();
                        decode(font, o, &mut raw);
                        let text = unradical(&raw);
                        if text.trim().is_empty() {
                            continue;
                        }
                        let m = multiply(&tm, &ctm);
                        // The scale along the text's vertical axis: its height on the page.
                        let size = font_size * (m[2] * m[2] + m[3] * m[3]).sqrt();
                        runs.push(Run {
                            text,
                            top: height - m[5],
                            left: m[4],
                            size,
                        });
                    }
                    _ => {}
                }
            }
            pages.push(runs);
        }
        Printed { sizes, pages }
    }

    /// A page's text in reading order: runs sorted top to bottom (within a few points), then left to
    /// right, with line breaks between lines.
    pub fn page_text(&self, page: usize) -> String {
        let lines = self.lines(page);
        lines
            .iter()
            .map(|l| l.iter().map(|r| r.text.as_str()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A page's runs grouped into lines (baselines within 3 points), top to bottom, each left to right.
    pub fn lines(&self, page: usize) -> Vec<Vec<Run>> {
        let mut runs = self.pages[page].clone();
        runs.sort_by(|a, b| a.top.total_cmp(&b.top));
        let mut lines: Vec<Vec<Run>> = Vec::new();
        for r in runs {
            match lines.last_mut() {
                Some(l) if (l[0].top - r.top).abs() < 3.0 => l.push(r),
                _ => lines.push(vec![r]),
            }
        }
        for l in &mut lines {
            l.sort_by(|a, b| a.left.total_cmp(&b.left));
        }
        lines
    }

    /// Every page's text, pages in order.
    pub fn text(&self) -> String {
        (0..self.pages.len())
            .map(|p| self.page_text(p))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The smallest text anywhere, in points, with what it says.
    pub fn smallest(&self) -> Option<Run> {
        self.pages
            .iter()
            .flatten()
            .min_by(|a, b| a.size.total_cmp(&b.size))
            .cloned()
    }
}
