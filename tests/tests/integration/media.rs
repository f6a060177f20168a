//! Pictures through the API, on both stores: a directory and a real S3-compatible server started
//! by the test. Uploads are checked, re-encoded without their metadata and stored once per
//! content; refusals store nothing; files go when nothing uses them any more; served files say
//! what they are and are cached for good. Every test body runs once per store (`…::on_fs`,
//! `…::on_s3`).

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::pictures::noisy_jpeg;
use hearth_tests::s3::Storage;
use image::codecs::jpeg::JpegDecoder;
use image::{ImageDecoder, ImageFormat};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Cursor;
use std::sync::OnceLock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs each named test body (an `async fn(Storage)`) as two tests, `<name>::on_fs` and
/// `<name>::on_s3`.
macro_rules! on_both_storages {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn on_fs() {
                super::$name(hearth_tests::s3::Storage::Fs).await;
            }

            #[tokio::test]
            async fn on_s3() {
                super::$name(hearth_tests::s3::Storage::S3).await;
            }
        }
    )*};
}

on_both_storages!(
    a_phone_photo_is_stored_upright_without_its_exif_and_served_for_good,
    refused_uploads_store_nothing,
    the_same_picture_twice_is_stored_once_and_removed_when_nothing_uses_it,
    a_deleted_posts_picture_is_pruned,
    only_the_uploader_deletes_an_upload_and_its_files_go_with_it,
);

// --- Pictures made for the tests --------------------------------------------------------------

/// The camera maker written into the test photos' EXIF (to look for in what is served).
const CAMERA: &str = "HearthPhone 3000";

/// An EXIF APP1 segment as a phone writes one: the camera, an orientation, and GPS coordinates
/// (52°31'12.3" N, 13°24'18" E), big-endian TIFF.
fn exif_segment() -> Vec<u8> {
    /// One IFD entry: tag, type, count, and the value (4 bytes inline) or an offset.
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let make = format!("{CAMERA}\0");
    // Layout (offsets from the TIFF header): header 8, IFD0 (3 entries) 42, the camera string,
    // the GPS IFD (4 entries) 54, then latitude and longitude (three rationals each).
    let ifd0_at = 8u32;
    let make_at = ifd0_at + 2 + 3 * 12 + 4;
    let gps_at = make_at + make.len() as u32;
    let latitude_at = gps_at + 2 + 4 * 12 + 4;
    let longitude_at = latitude_at + 24;
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&ifd0_at.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    entry(
        &mut tiff,
        0x010f,
        ASCII,
        make.len() as u32,
        make_at.to_be_bytes(),
    );
    entry(&mut tiff, 0x0112, SHORT, 1, [0, 1, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, gps_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(make.as_bytes());
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_at.to_be_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, longitude_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (numerator, denominator) in [(52u32, 1u32), (31, 1), (123, 10), (13, 1), (24, 1), (18, 1)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    let mut segment = vec![0xff, 0xe1];
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap();
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// `jpeg` with the EXIF segment right after its start marker, where cameras put it.
fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xff, 0xd8], "a JPEG starts with SOI");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_segment());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A realistic phone photo: 4000×3000, about 8 MiB, with EXIF and GPS tags. Made once per
/// process (it takes a few seconds unoptimised).
fn phone_photo() -> &'static [u8] {
    static PHOTO: OnceLock<Vec<u8>> = OnceLock::new();
    PHOTO.get_or_init(|| with_exif(&noisy_jpeg(4000, 3000, 94)))
}

/// A small photo with the same EXIF, for the tests about storage rather than size.
fn small_photo() -> Vec<u8> {
    with_exif(&noisy_jpeg(640, 480, 90))
}

/// The segments of a JPEG up to the start of its scan: (marker, payload).
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    assert_eq!(&bytes[..2], [0xff, 0xd8], "a JPEG starts with SOI");
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xff, "a marker at {at}");
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((marker, &bytes[at + 4..at + 2 + length]));
        if marker == 0xda {
            break;
        }
        at += 2 + length;
    }
    segments
}

/// The EXIF block of a JPEG as the image decoder reads it, if any.
fn exif_of(bytes: &[u8]) -> Option<Vec<u8>> {
    JpegDecoder::new(Cursor::new(bytes))
        .unwrap()
        .exif_metadata()
        .unwrap()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
}

/// A valid PNG header claiming `width`×`height` RGB pixels, with no pixels behind it (a
/// decompression bomb's shape: refused from the header, never decoded).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &header);
    png_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

// --- Talking to the instance ------------------------------------------------------------------

const BOUNDARY: &str = "hearth-test-boundary-7MA4YWxkTrZu0gW";

/// The multipart body around one `file` field, split where the file's bytes go.
fn multipart_around(filename: &str, content_type: &str) -> (Vec<u8>, Vec<u8>) {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    (head.into_bytes(), tail.into_bytes())
}

/// `POST /api/v1/media` with `bytes` as the `file` field: status and JSON answer.
pub(crate) async fn upload(
    app: &TestApp,
    user: &TestUser,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let (head, tail) = multipart_around(filename, content_type);
    let mut body = head;
    body.extend_from_slice(bytes);
    body.extend_from_slice(&tail);
    let response = app
        .client
        .post(format!("{}/api/v1/media", app.base))
        .bearer_auth(&user.token)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("the upload reaches the server");
    let status = response.status();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json)
}

/// An upload of `size` bytes (a JPEG start, then zeros) over a plain socket: the body is
/// written while the answer is read, so a server that answers before reading it all (as it
/// should past its limit) is heard rather than seen as a broken pipe.
async fn upload_huge(app: &TestApp, user: &TestUser, size: usize) -> (StatusCode, Value) {
    let (head, tail) = multipart_around("huge.jpg", "image/jpeg");
    let length = head.len() + size + tail.len();
    let request = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        app.address, user.token
    );
    let socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let sender = tokio::spawn(async move {
        writer.write_all(request.as_bytes()).await?;
        writer.write_all(&head).await?;
        writer.write_all(&[0xff, 0xd8, 0xff, 0xe0]).await?;
        let zeros = vec![0u8; 64 * 1024];
        let mut sent = 4;
        while sent < size {
            let n = zeros.len().min(size - sent);
            writer.write_all(&zeros[..n]).await?;
            sent += n;
        }
        writer.write_all(&tail).await?;
        Ok::<usize, std::io::Error>(sent)
    });
    let mut answer = Vec::new();
    let deadline = std::time::Duration::from_secs(60);
    let head_end = tokio::time::timeout(deadline, async {
        let mut buffer = [0u8; 8192];
        loop {
            let n = reader.read(&mut buffer).await.expect("the answer is read");
            assert!(n > 0, "the server closed without answering");
            answer.extend_from_slice(&buffer[..n]);
            if let Some(at) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                return at + 4;
            }
        }
    })
    .await
    .expect("an answer within a minute");
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let content_length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = answer[head_end..].to_vec();
    while body.len() < content_length {
        let mut buffer = [0u8; 8192];
        let n = reader.read(&mut buffer).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..n]);
    }
    sender.abort();
    (
        StatusCode::from_u16(status).unwrap(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// The path part of one of the instance's public URLs (they name `localhost:PORT`; the test
/// talks to `127.0.0.1:PORT`).
fn path_of(url: &str) -> String {
    url::Url::parse(url).unwrap().path().to_owned()
}

/// GET a file: status, headers and bytes.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.get(path).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    (status, headers, bytes)
}

/// Every key in the instance's store.
async fn stored_keys(app: &TestApp) -> BTreeSet<String> {
    app.media_store()
        .list()
        .await
        .expect("the store lists its keys")
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

/// The three keys an upload is stored under.
fn keys_of(hash: &str) -> BTreeSet<String> {
    [
        hash.to_owned(),
        format!("{hash}.thumbnail"),
        format!("{hash}.blurred"),
    ]
    .into_iter()
    .collect()
}

/// The hashes in the `media` table.
async fn media_rows(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("select hash from media order by hash")
        .fetch_all(&app.db.pool().await)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool().await)
        .await
        .unwrap()
}

/// Checks that the store the instance was started with is the one holding its files: the S3
/// server's bucket directory, or the instance's own `media/` directory.
fn assert_kept_in_the_right_place(app: &TestApp, hash: &str) {
    let media = app.media.as_ref().expect("an instance with its own store");
    let fs_file = media.data_dir.path().join("media").join(hash);
    match media.storage {
        Storage::Fs => assert!(fs_file.is_file(), "{} is written", fs_file.display()),
        Storage::S3 => {
            let s3 = media.s3.as_ref().expect("the S3 server");
            assert!(
                s3.bucket_dir().join(hash).is_file(),
                "the object is in the S3 server's bucket"
            );
            assert!(
                !fs_file.exists(),
                "nothing is written to the data directory"
            );
        }
    }
}

// --- The tests --------------------------------------------------------------------------------

async fn a_phone_photo_is_stored_upright_without_its_exif_and_served_for_good(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage, &[]).await;
    let kim = app.user("kim").await;
    let photo = phone_photo();
    assert!(
        (7 << 20..10 << 20).contains(&photo.len()),
        "the photo is about 8 MiB: {} bytes",
        photo.len()
    );
    let exif_in = exif_of(photo).expect("the photo carries EXIF");
    assert!(
        exif_in
            .windows(CAMERA.len())
            .any(|w| w == CAMERA.as_bytes())
    );

    let (status, uploaded) =
        upload(&app, &kim, "IMG_20261202_073015.jpg", "image/jpeg", photo).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let hash = uploaded["hash"].as_str().unwrap().to_owned();
    let url = uploaded["url"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!(
        url,
        format!("{}/media/{hash}.jpg", app.settings.public_base_url())
    );
    assert_eq!(uploaded["content_type"], "image/jpeg");
    assert_eq!(
        (uploaded["width"].as_i64(), uploaded["height"].as_i64()),
        (Some(4000), Some(3000))
    );
    assert_kept_in_the_right_place(&app, &hash);
    assert_eq!(stored_keys(&app).await, keys_of(&hash));

    // What is served back, by the URL the answer gave and by the hash alone.
    for path in [path_of(&url), format!("/media/{hash}")] {
        let (status, headers, bytes) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let cache = headers[CACHE_CONTROL].to_str().unwrap();
        assert!(cache.contains("immutable"), "Cache-Control: {cache}");
        let max_age: u64 = cache
            .split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a max-age in {cache}"));
        assert!(
            max_age >= 30 * 86_400,
            "cached for at least a month: {cache}"
        );
        assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Jpeg);
        let (width, height) =
            image::ImageReader::with_format(Cursor::new(&bytes), ImageFormat::Jpeg)
                .into_dimensions()
                .unwrap();
        assert_eq!((width, height), (4000, 3000));
        assert_eq!(
            u64::try_from(bytes.len()).unwrap(),
            uploaded["byte_size"].as_u64().unwrap()
        );
        assert!(
            !jpeg_segments(&bytes)
                .iter()
                .any(|(marker, _)| *marker == 0xe1),
            "no APP1 (EXIF/XMP) segment is left"
        );
        assert_eq!(exif_of(&bytes), None, "no EXIF");
        for needle in [&b"Exif\0"[..], CAMERA.as_bytes(), b"GPS"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} is not in the served file",
                String::from_utf8_lossy(needle)
            );
        }
    }

    let (status, headers, thumbnail) =
        fetch(&app, &path_of(uploaded["thumbnail_url"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (width, height) = image::ImageReader::new(Cursor::new(&thumbnail))
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap();
    assert_eq!(
        (width, height),
        (512, 384),
        "the thumbnail is 512 px on its longest side"
    );
    assert_eq!(exif_of(&thumbnail), None);

    let (status, headers, blurred) = fetch(&app, &format!("/media/{hash}.blurred")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
    assert!(image::load_from_memory(&blurred).unwrap().width() <= 32);

    // The upload is the uploader's: it is in their list, not in anyone else's.
    let (status, mine) = app.get_json("/api/v1/media", kim.auth()).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine[0]["hash"], hash.as_str());
    let lee = app.user("lee").await;
    let (_, theirs) = app.get_json("/api/v1/media", lee.auth()).await;
    assert_eq!(theirs, json!([]));
}

async fn refused_uploads_store_nothing(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage, &[]).await;
    let kim = app.user("kim").await;

    let (status, err) = upload(
        &app,
        &kim,
        "bomb.png",
        "image/png",
        &png_claiming(20_000, 20_000),
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("image_too_large")),
        "{err}"
    );

    let (status, err) = upload_huge(&app, &kim, 50 << 20).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");

    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(document.cookie)"><rect width="10" height="10"/></svg>"#;
    let (status, err) = upload(&app, &kim, "logo.svg", "image/svg+xml", svg).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_image")),
        "{err}"
    );
    // The same SVG pretending to be a PNG: the name and the declared type count for nothing.
    let (status, err) = upload(&app, &kim, "logo.png", "image/png", svg).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

    let text = b"Dear diary, today I renamed a text file to x.png.\n".repeat(20);
    let (status, err) = upload(&app, &kim, "x.png", "image/png", &text).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_image")),
        "{err}"
    );

    // A JPEG cut inside its header tables. (One cut inside its scan data is decoded as far as it
    // goes and the rest filled in, as browsers show it: that is taken.)
    let mut cut = small_photo();
    cut.truncate(400);
    let (status, err) = upload(&app, &kim, "cut.jpg", "image/jpeg", &cut).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unreadable_image")),
        "{err}"
    );

    assert_eq!(
        stored_keys(&app).await,
        BTreeSet::new(),
        "nothing in the store"
    );
    assert_eq!(media_rows(&app).await, Vec::<String>::new(), "no media row");
    assert_eq!(
        count(&app, "select count(*) from upload").await,
        0,
        "no upload row"
    );
    let media = app.media.as_ref().unwrap();
    let spooled: Vec<_> = std::fs::read_dir(media.data_dir.path().join("tmp"))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        spooled.is_empty(),
        "spooled bodies are removed: {spooled:?}"
    );

    // The refusals did not break anything: a good picture is still taken.
    let (status, uploaded) = upload(&app, &kim, "ok.jpg", "image/jpeg", &small_photo()).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
}

async fn the_same_picture_twice_is_stored_once_and_removed_when_nothing_uses_it(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage, &[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let photo = small_photo();

    let (status, first) = upload(&app, &kim, "a.jpg", "image/jpeg", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = upload(&app, &kim, "a-copy.jpg", "image/jpeg", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let (status, by_lee) = upload(&app, &lee, "b.jpg", "image/jpeg", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{by_lee}");
    let hash = first["hash"].as_str().unwrap();
    for other in [&again, &by_lee] {
        assert_eq!(other["url"], first["url"]);
        assert_eq!(other["hash"], first["hash"]);
    }
    assert_eq!(
        again["id"], first["id"],
        "one upload per person and picture"
    );
    assert_ne!(
        first["id"], by_lee["id"],
        "each person's upload is their own"
    );
    assert_eq!(
        media_rows(&app).await,
        vec![hash.to_owned()],
        "one media row"
    );
    assert_eq!(count(&app, "select count(*) from upload").await, 2);
    assert_eq!(stored_keys(&app).await, keys_of(hash), "one original, once");
    assert_kept_in_the_right_place(&app, hash);

    // Kim deletes hers: Lee's upload still shows the picture, so it stays.
    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{}", first["id"]),
            kim.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(stored_keys(&app).await, keys_of(hash));
    let (status, _, _) = fetch(&app, &format!("/media/{hash}")).await;
    assert_eq!(status, StatusCode::OK);

    // Lee deletes theirs: nothing uses it any more.
    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{}", by_lee["id"]),
            lee.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(stored_keys(&app).await, BTreeSet::new());
    assert_eq!(media_rows(&app).await, Vec::<String>::new());
    let (status, _, _) = fetch(&app, &format!("/media/{hash}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_deleted_posts_picture_is_pruned(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage, &[]).await;
    let kim = app.user("kim").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "gardens", "title": "Gardens"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, uploaded) = upload(&app, &kim, "garden.jpg", "image/jpeg", &small_photo()).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let hash = uploaded["hash"].as_str().unwrap().to_owned();
    let url = uploaded["url"].as_str().unwrap().to_owned();

    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            json!({"community": "gardens", "title": "Our garden in May",
                   "images": [{"url": url, "alt_text": "Tomato plants in a raised bed"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    assert_eq!(post["images"][0]["url"], url.as_str(), "{post}");
    assert_eq!(
        post["images"][0]["alt_text"],
        "Tomato plants in a raised bed"
    );
    let post_id = post["id"].as_i64().unwrap();
    assert_eq!(
        count(&app, "select count(*) from post_image").await,
        1,
        "the image is recorded with the post"
    );

    // While the post shows it, a prune without grace keeps it.
    let ctx = app.context().await;
    hearth_service::media::prune(&ctx, Some(0)).await.unwrap();
    assert_eq!(
        stored_keys(&app).await,
        keys_of(&hash),
        "a used picture is kept"
    );
    assert_eq!(media_rows(&app).await, vec![hash.clone()]);

    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/posts/{post_id}"),
            kim.auth(),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let pruned = hearth_service::media::prune(&ctx, Some(0)).await.unwrap();
    assert_eq!(pruned.files, 1, "{pruned:?}");
    assert_eq!(
        stored_keys(&app).await,
        BTreeSet::new(),
        "the files are gone"
    );
    assert_eq!(
        media_rows(&app).await,
        Vec::<String>::new(),
        "the row is gone"
    );
    let (status, _, _) = fetch(&app, &format!("/media/{hash}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn only_the_uploader_deletes_an_upload_and_its_files_go_with_it(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage, &[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let (status, uploaded) = upload(&app, &kim, "mine.jpg", "image/jpeg", &small_photo()).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let hash = uploaded["hash"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/media/{}", uploaded["id"]);

    let (status, err) = app.call(Method::DELETE, &path, lee.auth(), None).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_uploader")),
        "{err}"
    );
    let (status, _) = app.call(Method::DELETE, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored_keys(&app).await, keys_of(&hash), "still there");
    let (status, _, _) = fetch(&app, &format!("/media/{hash}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.call(Method::DELETE, &path, kim.auth(), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        stored_keys(&app).await,
        BTreeSet::new(),
        "the files are gone"
    );
    assert_eq!(media_rows(&app).await, Vec::<String>::new());
    let (status, _, _) = fetch(&app, &format!("/media/{hash}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = fetch(&app, &format!("/media/{hash}.thumbnail")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, err) = app.call(Method::DELETE, &path, kim.auth(), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
}

/// The S3 server the tests start checks signatures, so the S3 store is tested with its real
/// authentication: the right keys store a file, a wrong secret is refused and stores nothing.
#[tokio::test]
async fn the_test_s3_server_checks_signatures() {
    let server = hearth_tests::s3::S3Server::start().await;
    let settings = server.settings();
    let mut overrides: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let store =
        hearth_media::MediaStore::from_settings(&hearth_tests::app::test_settings(1, &overrides));
    store.put("signed", b"right keys".to_vec()).await.unwrap();
    assert_eq!(
        &store.read("signed").await.unwrap().unwrap()[..],
        b"right keys"
    );
    overrides.push(("HEARTH__MEDIA__S3__SECRET_ACCESS_KEY", "not the secret"));
    let impostor =
        hearth_media::MediaStore::from_settings(&hearth_tests::app::test_settings(1, &overrides));
    let err = impostor
        .put("forged", b"wrong keys".to_vec())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    assert_eq!(
        store.list().await.unwrap(),
        vec![("signed".to_owned(), 10)],
        "only the signed file is there"
    );
    assert!(server.bucket_dir().join("signed").is_file());
}
