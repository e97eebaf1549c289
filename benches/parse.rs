//! Parse throughput on a large synthetic Dockerfile: `cargo bench --bench parse`.
//!
//! The file mixes what real Dockerfiles contain (global ARGs, multi-stage builds, long RUN
//! continuations with comments, COPY --from, cache mounts, heredocs, labels) and is repeated
//! to about 20 MB. Both the syntax tree (`parse`) and the full image analysis (`analyze`)
//! are timed; the figure reported is MB/s over the best of several runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use dockerfile_lock::dockerfile::{analyze, parse, BuildOptions};

fn block(i: usize) -> String {
    format!(
        r#"# ---- block {i} ----
FROM --platform=$BUILDPLATFORM golang:${{GO_VERSION}}-alpine AS build{i}
ARG TARGETOS TARGETARCH
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    # download first, so the layer caches
    go mod download && \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -ldflags "-s -w" -o /out/app{i} ./cmd/app
RUN <<EOF
set -eu
echo "FROM inside a heredoc is data" > /notes
EOF
FROM ${{RUNTIME_IMAGE}} AS runtime{i}
LABEL org.opencontainers.image.source="https://example.com/repo" \
      org.opencontainers.image.revision="{i}"
COPY --from=build{i} --chown=65532:65532 /out/app{i} /usr/local/bin/app
COPY --from=ghcr.io/acme/assets:1.{i} /assets /srv/assets
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/app"]

"#
    )
}

fn synthetic(target_bytes: usize) -> String {
    let mut s = String::from(
        "# syntax=docker/dockerfile:1.7\nARG GO_VERSION=1.22\nARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot\n",
    );
    let mut i = 0;
    while s.len() < target_bytes {
        s.push_str(&block(i));
        i += 1;
    }
    s
}

/// CPU seconds this process has used (user + system), from /proc; `None` elsewhere. Other
/// builds share this machine, so CPU time says more about the parser than wall time does.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ
}

fn measure(name: &str, bytes: usize, mut f: impl FnMut()) {
    f(); // warm up
    let runs = 5;
    let mut best = Duration::MAX;
    let cpu_start = cpu_seconds();
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    let mb = bytes as f64 / 1e6;
    let wall = mb / best.as_secs_f64();
    match cpu_start.zip(cpu_seconds()) {
        Some((a, b)) if b > a => {
            let cpu = mb * runs as f64 / (b - a);
            println!("{name:<8} {mb:>6.1} MB: {wall:>7.1} MB/s wall (best of {runs}), {cpu:>7.1} MB/s of CPU time");
        }
        _ => println!("{name:<8} {mb:>6.1} MB: {wall:>7.1} MB/s wall (best of {runs})"),
    }
}

fn main() {
    // `cargo test --benches` / `--all-targets` run this too (unoptimized): keep that quick.
    let quick = cfg!(debug_assertions) || std::env::args().any(|a| a == "--test");
    let src = synthetic(if quick { 200_000 } else { 20_000_000 });
    let options = BuildOptions::default();
    let parsed = parse(src.as_bytes()).expect("the synthetic Dockerfile parses");
    let analysis = analyze(src.as_bytes(), &options).expect("the synthetic Dockerfile analyses");
    println!(
        "synthetic Dockerfile: {} bytes, {} instructions, {} stages, {} image uses",
        src.len(),
        parsed.instructions.len(),
        analysis.stages.len(),
        analysis.images.len()
    );
    measure("parse", src.len(), || {
        black_box(parse(black_box(src.as_bytes())).unwrap());
    });
    measure("analyze", src.len(), || {
        black_box(analyze(black_box(src.as_bytes()), &options).unwrap());
    });
}
