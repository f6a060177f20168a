//! What an upload becomes before it is kept: its format read from its first bytes (never from
//! its name), its size checked from its header before anything is decoded (decompression bombs),
//! then decoded, turned upright (EXIF orientation) and encoded again — so EXIF, GPS and every
//! other piece of metadata stay behind — plus a thumbnail and a small blurred placeholder.

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use std::io::Cursor;

/// The limits an upload is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The most pixels (width × height; for an animation, of all its frames together).
    pub max_pixels: u64,
    /// The longest side of the thumbnail.
    pub thumbnail_px: u32,
}

/// Why an upload was refused. Each is the uploader's doing (a 4xx), never the server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// More bytes than `max_bytes`.
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge {
        /// The limit.
        max_bytes: u64,
    },
    /// More pixels than `max_pixels`.
    #[error("the image is {width}×{height} pixels; at most {max_pixels} pixels are accepted")]
    TooManyPixels {
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// Not a picture in a format we take (JPEG, PNG, WebP, GIF). SVG is never accepted: it is a
    /// document that can carry scripts.
    #[error("not a JPEG, PNG, WebP or GIF image")]
    NotAnImage,
    /// The header promised a picture the bytes do not hold.
    #[error("the image could not be read: {0}")]
    Corrupt(String),
}

/// One encoded file.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Encoded {
    /// The file name extension of its type.
    pub fn extension(&self) -> &'static str {
        extension_of(self.content_type)
    }
}

/// The file name extension of one of the types we store.
pub fn extension_of(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "bin",
    }
}

/// What an accepted upload becomes.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The picture itself, re-encoded, upright, without metadata.
    pub original: Encoded,
    /// At most `thumbnail_px` on its longest side.
    pub thumbnail: Encoded,
    /// A tiny blurred version, shown in place of NSFW pictures until the reader asks.
    pub blurred: Encoded,
    /// Whether the original moves (an animated GIF).
    pub animated: bool,
}

const BLURRED_PX: u32 = 32;
const JPEG_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 80;

/// The format of `bytes`, from their first bytes; only the four we accept.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, Refusal> {
    match image::guess_format(bytes) {
        Ok(
            format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif),
        ) => Ok(format),
        _ => Err(Refusal::NotAnImage),
    }
}

/// The width and height `bytes` claim, read from the header alone.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let format = sniff(bytes)?;
    ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| Refusal::Corrupt(e.to_string()))
}

/// Checks, decodes and re-encodes an upload. CPU-bound: call it off the async runtime. It takes
/// the file's bytes by value so they are freed as soon as they are decoded: memory per upload is
/// then about one decoded picture (width × height × 3 or 4 bytes), not that plus the file.
pub fn process(bytes: Vec<u8>, limits: &Limits) -> Result<Processed, Refusal> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Refusal::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    let format = sniff(&bytes)?;
    let (width, height) = dimensions(&bytes)?;
    check_pixels(width, height, 1, limits)?;
    if format == ImageFormat::Gif
        && let Some(processed) = animated_gif(&bytes, width, height, limits)?
    {
        return Ok(processed);
    }
    let image = decode_upright(&bytes, format, width, height)?;
    drop(bytes);
    let original = if image.color().has_alpha() || format == ImageFormat::Png {
        encode_png(&image)?
    } else {
        encode_jpeg(&image, JPEG_QUALITY)?
    };
    let thumbnail = thumbnail_of(&image, limits.thumbnail_px)?;
    let blurred = blurred_of(&image)?;
    Ok(Processed {
        original,
        thumbnail,
        blurred,
        animated: false,
    })
}

/// Resizes any picture to at most `max_px` on its longest side and encodes it as a thumbnail is
/// (JPEG, or PNG where it is transparent): how other servers' images are kept here.
pub fn resized(bytes: Vec<u8>, max_px: u32, max_pixels: u64) -> Result<Encoded, Refusal> {
    let format = sniff(&bytes)?;
    let (width, height) = dimensions(&bytes)?;
    check_pixels(
        width,
        height,
        1,
        &Limits {
            max_bytes: u64::MAX,
            max_pixels,
            thumbnail_px: max_px,
        },
    )?;
    let image = decode_upright(&bytes, format, width, height)?;
    drop(bytes);
    thumbnail_of(&image, max_px)
}

fn check_pixels(width: u32, height: u32, frames: u64, limits: &Limits) -> Result<(), Refusal> {
    let pixels = u64::from(width) * u64::from(height) * frames.max(1);
    if pixels > limits.max_pixels || width == 0 || height == 0 {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Decodes with the decoder's own limits set to the header's size, so a file whose header lies
/// cannot make the decoder allocate more, then applies the EXIF orientation (the one piece of
/// metadata that changes how the picture looks).
fn decode_upright(
    bytes: &[u8],
    format: ImageFormat,
    width: u32,
    height: u32,
) -> Result<DynamicImage, Refusal> {
    let corrupt = |e: image::ImageError| Refusal::Corrupt(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Four bytes a pixel (RGBA8), twice over for the decoder's working buffers.
    limits.max_alloc = Some(u64::from(width) * u64::from(height) * 8 + (1 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// An animated GIF keeps its frames (re-encoded, so its comments and extensions stay behind);
/// `None` when the GIF has a single frame (then it is a still picture like any other).
fn animated_gif(
    bytes: &[u8],
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<Option<Processed>, Refusal> {
    let corrupt = |e: image::ImageError| Refusal::Corrupt(e.to_string());
    let decoder = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
    // Frames are decoded one at a time and counted against the pixel limit as they come, so an
    // animation of a million frames stops at the limit, not at the end of memory.
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        let frame = frame.map_err(corrupt)?;
        frames.push(frame);
        check_pixels(width, height, frames.len() as u64, limits)?;
    }
    if frames.len() < 2 {
        return Ok(None);
    }
    let first = DynamicImage::ImageRgba8(frames[0].buffer().clone());
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(corrupt)?;
        encoder.encode_frames(frames).map_err(corrupt)?;
    }
    Ok(Some(Processed {
        original: Encoded {
            bytes: out,
            content_type: "image/gif",
            width,
            height,
        },
        thumbnail: thumbnail_of(&first, limits.thumbnail_px)?,
        blurred: blurred_of(&first)?,
        animated: true,
    }))
}

/// At most `max_px` on its longest side. `thumbnail` averages the source pixels each output
/// pixel covers, in one pass with no full-size working buffer (a filtered `resize` of a
/// 4000×3000 photo needs a 24 MiB intermediate), and looks as good when shrinking.
fn thumbnail_of(image: &DynamicImage, max_px: u32) -> Result<Encoded, Refusal> {
    if image.width() <= max_px && image.height() <= max_px {
        return encode_small(image);
    }
    encode_small(&image.thumbnail(max_px, max_px))
}

fn encode_small(image: &DynamicImage) -> Result<Encoded, Refusal> {
    if image.color().has_alpha() {
        encode_png(image)
    } else {
        encode_jpeg(image, THUMBNAIL_QUALITY)
    }
}

fn blurred_of(image: &DynamicImage) -> Result<Encoded, Refusal> {
    let tiny = image.thumbnail(BLURRED_PX, BLURRED_PX).blur(2.0).to_rgb8();
    encode_jpeg(&DynamicImage::ImageRgb8(tiny), 60)
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Encoded, Refusal> {
    // A photo decodes to RGB8 already: encode it in place rather than copy it (36 MiB for 12 MP).
    let converted;
    let rgb = match image.as_rgb8() {
        Some(rgb) => rgb,
        None => {
            converted = image.to_rgb8();
            &converted
        }
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| Refusal::Corrupt(e.to_string()))?;
    Ok(Encoded {
        bytes: out,
        content_type: "image/jpeg",
        width: rgb.width(),
        height: rgb.height(),
    })
}

fn encode_png(image: &DynamicImage) -> Result<Encoded, Refusal> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new(&mut out);
    let (width, height) = (image.width(), image.height());
    let written = match (image.as_rgb8(), image.as_rgba8()) {
        (Some(rgb), _) => {
            encoder.write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        }
        (None, Some(rgba)) => encoder.write_image(
            rgba.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgba8,
        ),
        (None, None) => {
            let rgba = image.to_rgba8();
            encoder.write_image(
                rgba.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgba8,
            )
        }
    };
    written.map_err(|e| Refusal::Corrupt(e.to_string()))?;
    Ok(Encoded {
        bytes: out,
        content_type: "image/png",
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    const LIMITS: Limits = Limits {
        max_bytes: 10 << 20,
        max_pixels: 50_000_000,
        thumbnail_px: 512,
    };

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(
                image.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    #[test]
    fn a_jpeg_becomes_a_jpeg_a_thumbnail_and_a_placeholder() {
        let processed = process(jpeg(1200, 800), &LIMITS).unwrap();
        assert_eq!(processed.original.content_type, "image/jpeg");
        assert_eq!(
            (processed.original.width, processed.original.height),
            (1200, 800)
        );
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (512, 341)
        );
        assert!(processed.blurred.width <= 32 && processed.blurred.height <= 32);
        assert!(!processed.animated);
    }

    #[test]
    fn a_transparent_png_stays_a_png() {
        let image = RgbaImage::from_pixel(40, 30, Rgba([1, 2, 3, 100]));
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(image.as_raw(), 40, 30, image::ExtendedColorType::Rgba8)
            .unwrap();
        let processed = process(out, &LIMITS).unwrap();
        assert_eq!(processed.original.content_type, "image/png");
        assert_eq!(processed.thumbnail.content_type, "image/png");
    }

    #[test]
    fn text_svg_and_truncated_files_are_refused() {
        assert_eq!(
            process(b"hello, I am text".to_vec(), &LIMITS).unwrap_err(),
            Refusal::NotAnImage
        );
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
        assert_eq!(
            process(svg.to_vec(), &LIMITS).unwrap_err(),
            Refusal::NotAnImage
        );
        let mut cut = jpeg(300, 300);
        cut.truncate(200);
        assert!(matches!(
            process(cut, &LIMITS).unwrap_err(),
            Refusal::Corrupt(_)
        ));
    }

    #[test]
    fn too_many_pixels_are_refused_from_the_header() {
        let limits = Limits {
            max_pixels: 10_000,
            ..LIMITS
        };
        assert!(matches!(
            process(jpeg(200, 100), &limits).unwrap_err(),
            Refusal::TooManyPixels {
                width: 200,
                height: 100,
                ..
            }
        ));
        let limits = Limits {
            max_bytes: 100,
            ..LIMITS
        };
        assert_eq!(
            process(jpeg(20, 20), &limits).unwrap_err(),
            Refusal::TooLarge { max_bytes: 100 }
        );
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let input = jpeg(300, 200);
        let a = process(input.clone(), &LIMITS).unwrap();
        let b = process(input, &LIMITS).unwrap();
        assert_eq!(a.original.bytes, b.original.bytes);
    }
}
