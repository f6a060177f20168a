//! The `media` scenario: what an upload costs. First memory: a real instance receives 20 phone
//! photos (4000×3000 JPEG, about 8 MiB, with EXIF and GPS tags) through `POST /api/v1/media` at
//! once from a helper process, and the server process's peak resident memory growth is read
//! from /proc (bodies are spooled to disk and decodes bounded by `media.max_concurrent_decodes`,
//! so it must stay under 150 MiB). Then speed: the whole upload pipeline
//! (`hearth_media::pipeline::process`: sniff, header checks, decode, orientation, re-encode
//! without metadata, thumbnail, blurred placeholder) per second on that photo, against the
//! `image` crate alone doing the same decode, JPEG re-encode and 512 px thumbnail in the same run
//! (goal ≥ 0.8 ×).

use crate::Bench;
use crate::children;
use crate::instance::Instance;
use crate::measure;
use crate::report::{Outcome, Report, Table, mib, ratio};
use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Uploads sent at once in the memory phase.
const UPLOADS: usize = 20;
/// The memory growth goal.
const MEMORY_GOAL: u64 = 150 * 1024 * 1024;
/// The speed goal: pipeline rate over the bare `image` crate's rate.
const SPEED_GOAL: f64 = 0.8;
/// How long each side of the speed comparison runs, at least (in alternating rounds).
const SPEED_TIME: Duration = Duration::from_secs(12);
/// The JPEG quality Hearth re-encodes originals and thumbnails with (hearth_media::pipeline).
const ORIGINAL_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 80;

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let made = Instant::now();
    let photo = tokio::task::spawn_blocking(phone_photo).await??;
    let made = made.elapsed();

    let memory = memory_phase(bench, &photo).await?;
    let speed = tokio::task::spawn_blocking({
        let photo = photo.clone();
        move || speed_phase(&photo)
    })
    .await??;

    let photo_file = bench.cluster.scratch().join("phone-photo.jpg");
    std::fs::write(&photo_file, &photo)?;
    let mut peaks = Vec::new();
    for side in ["pipeline", "image"] {
        let line = children::run(
            &[
                "decode-peak".to_owned(),
                "--photo".to_owned(),
                photo_file.display().to_string(),
                "--side".to_owned(),
                side.to_owned(),
            ],
            Duration::from_secs(120),
        )
        .await?;
        peaks.push(
            line.trim()
                .parse::<u64>()
                .map_err(|_| anyhow::anyhow!("decode-peak said {line:?}"))?,
        );
    }
    let _ = std::fs::remove_file(&photo_file);
    let one = OnePeak {
        pipeline: peaks[0],
        image: peaks[1],
    };

    let value = speed.pipeline_rate;
    let baseline = speed.image_rate;
    let speed_met = value >= SPEED_GOAL * baseline;
    let memory_met = memory.growth < MEMORY_GOAL;
    let yes_no = |met: bool| if met { "yes" } else { "no" }.to_owned();
    let mut table = Table::new(&["measurement", "figure", "goal", "met"]);
    table.row(vec![
        "photo".into(),
        format!(
            "4000×3000 JPEG with EXIF and GPS, {} (made in {:.1} s)",
            mib(photo.len() as u64),
            made.as_secs_f64()
        ),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        format!("{UPLOADS} uploads at once through the API: all answered 201"),
        format!(
            "{} of {UPLOADS} in {:.1} s",
            memory.created,
            memory.wall.as_secs_f64()
        ),
        format!("{UPLOADS}"),
        yes_no(memory.created == UPLOADS),
    ]);
    table.row(vec![
        "RSS before / peak (VmHWM) / growth".into(),
        format!(
            "{} / {} / {}",
            mib(memory.before),
            mib(memory.peak),
            mib(memory.growth)
        ),
        "growth < 150 MiB".into(),
        yes_no(memory_met),
    ]);
    table.row(vec![
        "RSS sampled every 10 ms: highest / after".into(),
        format!("{} / {}", mib(memory.sampled_max), mib(memory.after)),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "one upload alone, fresh process: peak growth of process / image crate alone".into(),
        format!("{} / {}", mib(one.pipeline), mib(one.image)),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "Hearth pipeline (process): uploads/s, one at a time".into(),
        format!(
            "{:.2}/s ({} in {:.1} s; {:.0} ms each)",
            speed.pipeline_rate,
            speed.pipeline_runs,
            speed.pipeline_time.as_secs_f64(),
            1000.0 / speed.pipeline_rate.max(1e-9)
        ),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "image crate: decode, JPEG re-encode, 512 px thumbnail /s".into(),
        format!(
            "{:.2}/s ({} in {:.1} s; {:.0} ms each)",
            speed.image_rate,
            speed.image_runs,
            speed.image_time.as_secs_f64(),
            1000.0 / speed.image_rate.max(1e-9)
        ),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "ratio pipeline / image crate".into(),
        ratio(value / baseline.max(1e-9)),
        format!("≥ {SPEED_GOAL:.2}"),
        yes_no(speed_met),
    ]);
    table.row(vec![
        "pipeline output: original / thumbnail / blurred".into(),
        format!(
            "{} / {} / {}",
            mib(speed.original_bytes),
            mib(speed.thumbnail_bytes),
            mib(speed.blurred_bytes)
        ),
        String::new(),
        String::new(),
    ]);
    let outcome = Outcome {
        scenario: "media",
        value: (value * 1000.0).round() / 1000.0,
        unit: "uploads/s",
        baseline: (baseline * 1000.0).round() / 1000.0,
        goal: SPEED_GOAL,
        met: speed_met && memory_met && memory.created == UPLOADS,
    };
    Ok(Report::new(
        "Pictures: 20 phone photos uploaded at once (memory), and the upload pipeline against the image crate alone (speed).",
        table,
        outcome,
    )
    .note(format!(
        "Memory: the instance runs in the harness process with the default media settings (max_upload_bytes 10 MiB, max_concurrent_decodes {}, fs store in the run's scratch directory); the {UPLOADS} requests come over loopback from a helper process (`hearth_bench upload-burst`, each on its own connection), so the harness process's memory is the server's alone. Growth is VmHWM after the burst minus VmRSS before it (the peak mark reset just before).",
        memory.max_concurrent_decodes
    ))
    .note("Speed: one photo at a time on one thread of work, the two sides alternating in rounds so that both see the same machine; both use the same `image` crate build (JPEG quality 85 for the original, 80 for the thumbnail, Triangle filter). The pipeline also sniffs the format, reads the header twice (size, pixel limit), applies the EXIF orientation and makes a 32 px blurred placeholder.")
    .note("The memory phase runs first so that the speed phase's freed buffers do not hide growth. The peak of one upload alone is measured in a fresh helper process (`hearth_bench decode-peak`), pipeline first, then the image crate.")
    )
}

/// A realistic phone photo: 4000×3000 noisy JPEG at quality 94 (about 8 MiB: noise compresses
/// as badly as a real photo's detail) with an EXIF segment holding a camera name and GPS tags.
pub fn phone_photo() -> anyhow::Result<Vec<u8>> {
    let (width, height) = (4000u32, 3000u32);
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
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 94).write_image(
        &pixels,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )?;
    anyhow::ensure!(jpeg.starts_with(&[0xff, 0xd8]), "the encoder wrote no JPEG");
    let mut photo = jpeg[..2].to_vec();
    photo.extend_from_slice(&exif_segment());
    photo.extend_from_slice(&jpeg[2..]);
    Ok(photo)
}

/// An EXIF APP1 segment: camera make, orientation 1 and GPS latitude/longitude (big-endian TIFF).
fn exif_segment() -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    let make = b"HearthPhone 3000\0";
    let make_len = make.len() as u32;
    let ifd0_at = 8u32;
    let make_at = ifd0_at + 2 + 3 * 12 + 4;
    let gps_at = make_at + make_len;
    let latitude_at = gps_at + 2 + 4 * 12 + 4;
    let longitude_at = latitude_at + 24;
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&ifd0_at.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut tiff, 0x010f, 2, make_len, make_at.to_be_bytes());
    entry(&mut tiff, 0x0112, 3, 1, [0, 1, 0, 0]);
    entry(&mut tiff, 0x8825, 4, 1, gps_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, 5, 3, latitude_at.to_be_bytes());
    entry(&mut tiff, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, 5, 3, longitude_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (numerator, denominator) in [(52u32, 1u32), (31, 1), (123, 10), (13, 1), (24, 1), (18, 1)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    let mut segment = vec![0xff, 0xe1];
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// What the memory phase saw.
struct Memory {
    created: usize,
    wall: Duration,
    before: u64,
    peak: u64,
    growth: u64,
    sampled_max: u64,
    after: u64,
    max_concurrent_decodes: usize,
}

const BOUNDARY: &str = "hearth-bench-boundary-b6f1c2";

async fn memory_phase(bench: &Bench, photo: &[u8]) -> anyhow::Result<Memory> {
    let db = bench.cluster.database("bench_media").await?;
    let data_dir = bench.cluster.scratch().join("media-instance");
    std::fs::create_dir_all(&data_dir)?;
    let data_dir_setting = data_dir
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the scratch path is not UTF-8"))?
        .to_owned();
    let instance = Instance::spawn(
        &db,
        10,
        &[
            ("HEARTH__DATA_DIR", data_dir_setting),
            ("HEARTH__MEDIA__STORAGE", "fs".to_owned()),
        ],
    )
    .await?;
    let max_concurrent_decodes = instance.settings.media.max_concurrent_decodes;
    let user = instance.user("photographer", false).await?;
    let photo_file = bench.cluster.scratch().join("burst-photo.jpg");
    std::fs::write(&photo_file, photo)?;
    let url = format!("{}/api/v1/media", instance.base);
    let burst = |count: usize| {
        vec![
            "upload-burst".to_owned(),
            "--url".to_owned(),
            url.clone(),
            "--token".to_owned(),
            user.token.clone(),
            "--photo".to_owned(),
            photo_file.display().to_string(),
            "--count".to_owned(),
            count.to_string(),
        ]
    };

    // One warm-up upload (first-use allocations of the decoder, the pool, the runtime), then
    // settle before the mark.
    let warmed = children::run(&burst(1), Duration::from_secs(120)).await?;
    anyhow::ensure!(
        warmed.trim() == "1",
        "the warm-up upload failed: {warmed:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let before = measure::rss();
    measure::reset_peak_rss();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampled_max = Arc::new(AtomicU64::new(before));
    let sampler = tokio::spawn({
        let sampling = sampling.clone();
        let sampled_max = sampled_max.clone();
        async move {
            while sampling.load(Ordering::Relaxed) {
                sampled_max.fetch_max(measure::rss(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let started = Instant::now();
    // The uploads come from a helper process, so that the client's buffers are not counted as
    // the server's.
    let answered = children::run(&burst(UPLOADS), Duration::from_secs(600)).await?;
    let created = answered
        .trim()
        .parse::<usize>()
        .map_err(|_| anyhow::anyhow!("upload-burst said {answered:?}"))?;
    let wall = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.await?;
    let peak = measure::peak_rss();
    let after = measure::rss();
    instance.stop().await?;
    let _ = std::fs::remove_dir_all(&data_dir);
    let _ = std::fs::remove_file(&photo_file);
    Ok(Memory {
        created,
        wall,
        before,
        peak,
        growth: peak.saturating_sub(before),
        sampled_max: sampled_max.load(Ordering::Relaxed),
        after,
        max_concurrent_decodes,
    })
}

/// Arguments of the hidden `upload-burst` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct BurstArgs {
    /// `POST /api/v1/media` of the instance.
    #[arg(long)]
    url: String,
    /// A bearer token of the uploader.
    #[arg(long)]
    token: String,
    /// The photo to upload.
    #[arg(long)]
    photo: std::path::PathBuf,
    /// How many uploads to send at once.
    #[arg(long)]
    count: usize,
}

/// The hidden `upload-burst` subcommand: sends `count` uploads of the photo at once (each its
/// own connection, all sharing one body in memory), reports failures on stderr and prints how
/// many were answered 201.
pub async fn upload_burst(args: &BurstArgs) -> anyhow::Result<()> {
    let photo = std::fs::read(&args.photo)?;
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let body = bytes::Bytes::from(body);
    let client = reqwest::Client::new();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..args.count {
        let (client, url, token, body) = (
            client.clone(),
            args.url.clone(),
            args.token.clone(),
            body.clone(),
        );
        requests.spawn(async move { send(&client, &url, &token, body).await });
    }
    let mut created = 0;
    while let Some(result) = requests.join_next().await {
        match result? {
            Ok(()) => created += 1,
            Err(e) => eprintln!("hearth_bench: an upload failed: {e:#}"),
        }
    }
    println!("{created}");
    Ok(())
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: bytes::Bytes,
) -> anyhow::Result<()> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(
        status == reqwest::StatusCode::CREATED,
        "the upload answered {status}: {text}"
    );
    Ok(())
}

/// What the speed phase measured.
struct Speed {
    pipeline_rate: f64,
    pipeline_runs: u32,
    pipeline_time: Duration,
    image_rate: f64,
    image_runs: u32,
    image_time: Duration,
    original_bytes: u64,
    thumbnail_bytes: u64,
    blurred_bytes: u64,
}

fn speed_phase(photo: &[u8]) -> anyhow::Result<Speed> {
    let limits = hearth_media::Limits {
        max_bytes: 10 << 20,
        max_pixels: 50_000_000,
        thumbnail_px: 512,
    };
    let pipeline = |photo: &[u8]| -> anyhow::Result<hearth_media::Processed> {
        hearth_media::pipeline::process(photo.to_vec(), &limits)
            .map_err(|e| anyhow::anyhow!("the pipeline refused the photo: {e}"))
    };
    // Warm-up, and the sizes for the table.
    let processed = pipeline(photo)?;
    anyhow::ensure!(
        (processed.original.width, processed.original.height) == (4000, 3000),
        "the pipeline kept the size"
    );
    image_crate(photo)?;
    let (mut pipeline_runs, mut image_runs) = (0u32, 0u32);
    let (mut pipeline_time, mut image_time) = (Duration::ZERO, Duration::ZERO);
    while pipeline_time < SPEED_TIME || image_time < SPEED_TIME {
        let started = Instant::now();
        image_crate(photo)?;
        image_time += started.elapsed();
        image_runs += 1;
        let started = Instant::now();
        pipeline(photo)?;
        pipeline_time += started.elapsed();
        pipeline_runs += 1;
    }
    Ok(Speed {
        pipeline_rate: f64::from(pipeline_runs) / pipeline_time.as_secs_f64(),
        pipeline_runs,
        pipeline_time,
        image_rate: f64::from(image_runs) / image_time.as_secs_f64(),
        image_runs,
        image_time,
        original_bytes: processed.original.bytes.len() as u64,
        thumbnail_bytes: processed.thumbnail.bytes.len() as u64,
        blurred_bytes: processed.blurred.bytes.len() as u64,
    })
}

/// The `image` crate alone: decode the JPEG, encode it again, resize to 512 px and encode that.
fn image_crate(photo: &[u8]) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let decoded = image::load_from_memory_with_format(photo, image::ImageFormat::Jpeg)?;
    let mut original = Vec::new();
    JpegEncoder::new_with_quality(&mut original, ORIGINAL_QUALITY).encode_image(&decoded)?;
    let small = decoded.resize(512, 512, image::imageops::FilterType::Triangle);
    let mut thumbnail = Vec::new();
    JpegEncoder::new_with_quality(&mut thumbnail, THUMBNAIL_QUALITY).encode_image(&small)?;
    Ok((original, thumbnail))
}

/// Arguments of the hidden `decode-peak` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct PeakArgs {
    /// The photo to process.
    #[arg(long)]
    photo: std::path::PathBuf,
    /// `pipeline` (hearth_media::pipeline::process) or `image` (the bare image crate).
    #[arg(long)]
    side: String,
}

/// The peak memory of processing one photo, measured in a process that has done nothing else.
struct OnePeak {
    pipeline: u64,
    image: u64,
}

/// The hidden `decode-peak` subcommand: reads the photo, resets the peak mark, processes it
/// once (the pipeline or the bare image crate) and prints the peak resident growth in bytes.
pub fn decode_peak(args: &PeakArgs) -> anyhow::Result<()> {
    let photo = std::fs::read(&args.photo)?;
    let limits = hearth_media::Limits {
        max_bytes: 10 << 20,
        max_pixels: 50_000_000,
        thumbnail_px: 512,
    };
    let before = measure::rss();
    measure::reset_peak_rss();
    match args.side.as_str() {
        "pipeline" => {
            hearth_media::pipeline::process(photo.clone(), &limits)
                .map_err(|e| anyhow::anyhow!("the pipeline refused the photo: {e}"))?;
        }
        "image" => {
            image_crate(&photo)?;
        }
        other => anyhow::bail!("unknown side {other}"),
    }
    println!("{}", measure::peak_rss().saturating_sub(before));
    Ok(())
}
