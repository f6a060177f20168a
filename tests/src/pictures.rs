//! Pictures made for the tests: small PNGs and JPEGs drawn in code, deterministic, so a test
//! that uploads, federates or fetches a picture needs no file on disk.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, ImageFormat, RgbImage};

/// `pixels` encoded as `format` with the encoder's defaults (a PNG, or a JPEG at quality 75).
pub fn encoded(pixels: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut out, format)
        .expect("a picture drawn in memory encodes");
    out.into_inner()
}

/// A PNG of `width` × `height` pixels whose colours run across it (each size is another file).
pub fn gradient_png(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    encoded(&pixels, ImageFormat::Png)
}

/// A small PNG of one colour with a pattern (so each colour is another file).
pub fn tinted_png(rgb: [u8; 3]) -> Vec<u8> {
    let pixels = RgbImage::from_fn(64, 48, |x, y| {
        let shade = u8::try_from((x + y) % 16).expect("below 16");
        image::Rgb(rgb.map(|channel| channel.saturating_sub(shade)))
    });
    encoded(&pixels, ImageFormat::Png)
}

/// A picture of `width` × `height` pixels, soft colours that change across it (a sky over a
/// field, to look like a photo in screenshots), encoded as `format`.
pub fn landscape(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        let across = (x * 255 / width.max(1)) as u8;
        let down = (y * 255 / height.max(1)) as u8;
        // Blue at the top, green below two thirds.
        if y * 3 < height * 2 {
            image::Rgb([120 + across / 4, 170 + down / 6, 230 - down / 8])
        } else {
            image::Rgb([70 + across / 5, 140 - down / 8, 60 + across / 6])
        }
    });
    encoded(&pixels, format)
}

/// A PNG of random-looking pixels: it does not compress, so its size is about
/// `width` × `height` × 3 bytes.
pub fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    let pixels = RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xff) as u8
        };
        image::Rgb([next(), next(), next()])
    });
    encoded(&pixels, ImageFormat::Png)
}

/// A noisy RGB JPEG at `quality` (noise compresses badly, as a real photo's detail does),
/// deterministic.
pub fn noisy_jpeg(width: u32, height: u32, quality: u8) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state % 57) as i32 - 28;
            let base = [
                (x * 255 / width) as i32,
                (y * 255 / height) as i32,
                ((x + y) % 256) as i32,
            ];
            for (c, value) in base.iter().enumerate() {
                let jitter = ((state >> (8 * (c + 1))) & 7) as i32 - 3;
                pixels.push((value + noise + jitter).clamp(0, 255) as u8);
            }
        }
    }
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .expect("a picture drawn in memory encodes");
    out
}
