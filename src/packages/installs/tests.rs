use super::*;
use proptest::prelude::*;

/// Each command as `(action, [(word as written, name, arch, op, version, release)])`.
type Commands = Vec<(Action, Vec<String>)>;

fn packages(script: &str) -> Commands {
    scan(script)
        .commands
        .iter()
        .map(|c| {
            let words = c
                .packages
                .iter()
                .map(|r| {
                    let v = r
                        .version
                        .as_ref()
                        .map_or(String::new(), |v| format!("{}{}", v.op, v.version));
                    format!(
                        "{}|{}|{}|{}|{}",
                        &script[r.span.clone()],
                        r.name,
                        r.arch.as_deref().unwrap_or(""),
                        v,
                        r.release.as_deref().unwrap_or("")
                    )
                })
                .collect();
            (c.action, words)
        })
        .collect()
}

fn notes(script: &str) -> Vec<(String, String)> {
    scan(script)
        .notes
        .into_iter()
        .map(|n| (script[n.span].to_string(), n.message))
        .collect()
}

fn unpinned(script: &str) -> Vec<(String, String)> {
    scan(script)
        .unpinned
        .into_iter()
        .map(|u| (u.tool, script[u.span].to_string()))
        .collect()
}

fn p(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn apt_forms() {
    use Action::*;
    let cases: &[(&str, Commands)] = &[
        (
            "apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 ca-certificates && rm -rf /var/lib/apt/lists/*",
            vec![
                (AptUpdate, vec![]),
                (
                    AptInstall,
                    p(&["curl=7.88.1-10+deb12u5|curl||=7.88.1-10+deb12u5|", "ca-certificates|ca-certificates|||"]),
                ),
            ],
        ),
        (
            "apt install -qq libc6:arm64=2.36-9 git/bookworm-backports -t bookworm ./local.deb /tmp/x.deb foo.deb",
            vec![(AptInstall, p(&["libc6:arm64=2.36-9|libc6|arm64|=2.36-9|", "git/bookworm-backports|git|||bookworm-backports"]))],
        ),
        ("apt-get -o Dpkg::Options::=--force-confnew install -y vim", vec![(AptInstall, p(&["vim|vim|||"]))]),
        ("apt-get install \"curl\" 'jq'", vec![(AptInstall, p(&["\"curl\"|curl|||", "'jq'|jq|||"]))]),
        ("sudo -E env DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata", vec![(AptInstall, p(&["tzdata|tzdata|||"]))]),
        ("DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get -qqy install make", vec![(AptInstall, p(&["make|make|||"]))]),
        ("apt-get dist-upgrade -y; apt-get remove foo; apt-get source bar", vec![(AptUpgrade, vec![])]),
        ("if true; then apt-get install -y a; fi; (apt-get install b) | cat; { apt-get install c; }", vec![
            (AptInstall, p(&["a|a|||"])),
            (AptInstall, p(&["b|b|||"])),
            (AptInstall, p(&["c|c|||"])),
        ]),
        ("echo apt-get install x # apt-get install y\napt-get install z 2>/dev/null >&2", vec![(AptInstall, p(&["z|z|||"]))]),
        ("command -v apt-get && nice -n 5 apt-get install w", vec![(AptInstall, p(&["w|w|||"]))]),
    ];
    for (script, want) in cases {
        assert_eq!(&packages(script), want, "{script}");
    }
}

#[test]
fn continuation_lines_and_comments_inside_them() {
    let script = "apt-get update \\\n && apt-get install -y \\\n    # the client\n    curl \\\n    jq=1.6-2.1 \\\n && rm -rf /var/lib/apt/lists/*";
    let got = packages(script);
    assert_eq!(
        got,
        vec![
            (Action::AptUpdate, vec![]),
            (
                Action::AptInstall,
                p(&["curl|curl|||", "jq=1.6-2.1|jq||=1.6-2.1|"])
            )
        ]
    );
    let s = scan(script);
    assert_eq!(s.commands[1].line, 1);
    assert_eq!(
        &script[s.commands[1].span.clone()].lines().next(),
        &Some("apt-get install -y \\")
    );
    // A word split by a continuation is read whole, but cannot be spliced as one run.
    let got = packages("apt-get install cu\\\nrl");
    assert_eq!(got[0].1, p(&["cu\\\nrl|curl|||"]));
}

#[test]
fn heredoc_like_scripts_and_heredoc_bodies() {
    let script = "set -eux\napt-get update\napt-get install -y \\\n  git\ncat > /tmp/x <<'EOF'\napt-get install not-a-command\nEOF\napk add musl\n";
    let s = scan(script);
    let lines: Vec<usize> = s.commands.iter().map(|c| c.line).collect();
    assert_eq!(lines, vec![1, 2, 7]);
    assert_eq!(packages(script)[2], (Action::ApkAdd, p(&["musl|musl|||"])));
}

#[test]
fn snapshot_and_insert_point() {
    let cases = [
        (
            "apt-get update --snapshot 20250520T000000Z",
            "20250520T000000Z",
            "--snapshot 20250520T000000Z",
        ),
        (
            "apt-get install --snapshot=20250520T000000Z -y x",
            "20250520T000000Z",
            "--snapshot=20250520T000000Z",
        ),
        (
            "apt-get -o APT::Snapshot=20250101T000000Z install x",
            "20250101T000000Z",
            "-o APT::Snapshot=20250101T000000Z",
        ),
        ("apt-get install -S 1 x", "1", "-S 1"),
    ];
    for (script, value, option) in cases {
        let s = scan(script);
        let (v, span) = s.commands[0].snapshot.clone().expect(script);
        assert_eq!((v.as_str(), &script[span]), (value, option));
        assert!(s.commands[0].packages.iter().all(|r| r.name != value));
    }
    let script = "apt-get -y install curl";
    let c = &scan(script).commands[0];
    assert_eq!(&script[..c.insert_at], "apt-get -y install");
    assert_eq!(c.snapshot, None);
    assert_eq!(&script[c.span.clone()], script);
}

#[test]
fn apk_forms() {
    use Action::*;
    let cases: &[(&str, Commands)] = &[
        (
            "apk add --no-cache --virtual .build-deps gcc musl-dev && make && apk del .build-deps",
            vec![(ApkAdd, p(&["gcc|gcc|||", "musl-dev|musl-dev|||"]))],
        ),
        (
            "apk add -U -t deps curl=8.5.0-r0 git~2.45 'bash<6' busybox>=1.36 openssl=~3.3 vim@edge so:libc.musl-x86_64.so.1 cmd:ls pc:zlib ./x.apk",
            vec![(
                ApkAdd,
                p(&[
                    "curl=8.5.0-r0|curl||=8.5.0-r0|",
                    "git~2.45|git||~2.45|",
                    "'bash<6'|bash||<6|",
                    // Unquoted, `>=1.36` is a redirection to the file `=1.36`, as in sh.
                    "busybox|busybox|||",
                    "openssl=~3.3|openssl||=~3.3|",
                    "vim@edge|vim|||edge",
                ]),
            )],
        ),
        ("apk update && apk upgrade --available", vec![(ApkUpdate, vec![]), (ApkUpgrade, vec![])]),
        ("apk --no-cache add tini", vec![(ApkAdd, p(&["tini|tini|||"]))]),
    ];
    for (script, want) in cases {
        assert_eq!(&packages(script), want, "{script}");
    }
    let script = "apk add -X https://dl-cdn.alpinelinux.org/alpine/edge/testing foo";
    assert_eq!(packages(script)[0].1, p(&["foo|foo|||"]));
    let n = notes(script);
    assert_eq!(n.len(), 1);
    assert_eq!(
        n[0].0,
        "-X https://dl-cdn.alpinelinux.org/alpine/edge/testing"
    );
    assert!(n[0].1.contains("extra repository"), "{}", n[0].1);
}

#[test]
fn notes_for_what_cannot_be_read() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "apt-get install -y $PKGS \"${EXTRA}\" lib*-dev `cat list` $(cat l)",
            &[
                ("$PKGS", "cannot be read statically"),
                ("\"${EXTRA}\"", "cannot be read statically"),
                ("lib*-dev", "cannot be read statically"),
                ("`cat list`", "cannot be read statically"),
                ("$(cat l)", "cannot be read statically"),
            ],
        ),
        (
            "add-apt-repository ppa:deadsnakes/ppa",
            &[(
                "add-apt-repository ppa:deadsnakes/ppa",
                "a repository added by an earlier command is not locked",
            )],
        ),
        (
            "echo 'deb http://x/ y main' > /etc/apt/sources.list.d/x.list",
            &[(
                "echo 'deb http://x/ y main' > /etc/apt/sources.list.d/x.list",
                "is not locked",
            )],
        ),
        (
            "echo x | sudo tee -a /etc/apk/repositories",
            &[("sudo tee -a /etc/apk/repositories", "is not locked")],
        ),
        (
            "./install.sh --prefix /usr",
            &[(
                "./install.sh --prefix /usr",
                "what `./install.sh` installs cannot be read",
            )],
        ),
        (
            "sh install.sh",
            &[("sh install.sh", "what `install.sh` installs")],
        ),
        ("bash -c \"$X\"", &[("bash -c \"$X\"", "cannot be read")]),
        (
            "aptitude install vim",
            &[("aptitude install vim", "aptitude")],
        ),
        (
            "xargs apt-get install -y < pkgs.txt",
            &[("xargs apt-get install -y < pkgs.txt", "xargs")],
        ),
        ("apt-get install 'unclosed", &[("'unclosed", "unclosed")]),
    ];
    for (script, want) in cases {
        let got = notes(script);
        assert_eq!(got.len(), want.len(), "{script}: {got:?}");
        for ((span, msg), (wspan, wmsg)) in got.iter().zip(want.iter()) {
            assert_eq!(span, wspan, "{script}");
            assert!(msg.contains(wmsg), "{script}: {msg}");
        }
    }
}

#[test]
fn inside_sh_c() {
    let script = "sh -c 'apt-get update && apt-get install -y curl'";
    let got = packages(script);
    assert_eq!(
        got,
        vec![
            (Action::AptUpdate, vec![]),
            (Action::AptInstall, p(&["curl|curl|||"]))
        ]
    );
    let c = &scan(script).commands[1];
    assert_eq!(&script[c.span.clone()], "apt-get install -y curl");
    let script = "bash -euxc \"apk add --no-cache jq\"";
    assert_eq!(packages(script), vec![(Action::ApkAdd, p(&["jq|jq|||"]))]);
    // Escapes inside the quoted script: read, but only as a note.
    let script = "sh -c \"apt-get install \\\"curl\\\"\"";
    assert!(scan(script).commands.is_empty());
    let n = notes(script);
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].1.contains("escapes"));
}

#[test]
fn unpinned_installers() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "pip install flask==3.0.0 requests 'django>=4'",
            &[("pip", "requests"), ("pip", "'django>=4'")],
        ),
        ("pip3 install -r requirements.txt", &[]),
        ("pip install --require-hashes -r req.txt", &[]),
        (
            "python3 -m pip install --no-cache-dir -U pip setuptools==69.0.0 .",
            &[("pip", "pip")],
        ),
        (
            "npm install -g typescript@5.4.5 yarn pnpm@latest",
            &[("npm", "yarn"), ("npm", "pnpm@latest")],
        ),
        ("npm i -g @scope/tool@1.2.3 && npm install lodash", &[]),
        (
            "go install golang.org/x/tools/gopls@latest example.com/a@v1.2.3 example.com/b",
            &[
                ("go", "golang.org/x/tools/gopls@latest"),
                ("go", "example.com/b"),
            ],
        ),
        (
            "cargo install ripgrep",
            &[("cargo", "cargo install ripgrep")],
        ),
        ("cargo install --locked ripgrep@14.1.0", &[]),
        (
            "cargo install --version 14.1.0 ripgrep",
            &[("cargo", "cargo install --version 14.1.0 ripgrep")],
        ),
        (
            "gem install bundler && gem install rails -v 7.1.0",
            &[("gem", "bundler")],
        ),
        (
            "curl -fsSL https://get.docker.com | sh",
            &[("curl | sh", "curl -fsSL https://get.docker.com | sh")],
        ),
        (
            "wget -O- https://x/i.sh | sudo bash -s -- --yes",
            &[(
                "curl | sh",
                "wget -O- https://x/i.sh | sudo bash -s -- --yes",
            )],
        ),
        (
            "curl -sSL https://install.python-poetry.org | python3 -",
            &[(
                "curl | sh",
                "curl -sSL https://install.python-poetry.org | python3 -",
            )],
        ),
        (
            "sh -c \"$(curl -fsSL https://x/install.sh)\"",
            &[("curl | sh", "sh -c \"$(curl -fsSL https://x/install.sh)\"")],
        ),
        (
            "bash <(curl -s https://x)",
            &[("curl | sh", "bash <(curl -s https://x)")],
        ),
        ("curl -o x https://x && sh x.sh | tee log", &[]),
    ];
    for (script, want) in cases {
        let got = unpinned(script);
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "{script}");
    }
    let u = &scan("curl https://x | sh").unpinned[0];
    assert_eq!(
        u.help,
        "download it with a locked `ADD --checksum=sha256:… URL` and run the file instead"
    );
    assert!(scan("pip install flask").unpinned[0].help.contains("=="));
}

#[test]
fn messages_quote_short_escaped_excerpts() {
    let long = format!("apt-get install $({})", "x\u{1}".repeat(100));
    for n in scan(&long).notes {
        assert!(!n.message.contains('\u{1}'), "{}", n.message);
        let quoted = n.message.split('`').nth(1).unwrap_or_default();
        assert!(quoted.chars().count() <= 60, "{}", n.message);
    }
}

#[test]
fn hostile_inputs_finish_quickly() {
    let inputs = [
        "(".repeat(1 << 20),
        "$(".repeat(1 << 19),
        "\"$(`".repeat(1 << 18),
        "'".repeat(1 << 20) + "\"",
        "apt-get install a && ".repeat(100_000),
        "sh -c '".repeat(10_000),
        "<<E\n".repeat(100_000),
    ];
    let start = std::time::Instant::now();
    for input in &inputs {
        let s = scan(input);
        for c in &s.commands {
            assert!(c.span.end <= input.len());
        }
    }
    let s = scan(&"apt-get install a && ".repeat(100_000));
    assert_eq!(s.commands.len(), 100_000);
    assert!(scan(&"$(".repeat(1000))
        .notes
        .iter()
        .any(|n| n.message.contains("deeper")));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

fn check_spans(script: &str) {
    let s = scan(script);
    let spans = s
        .commands
        .iter()
        .flat_map(|c| {
            let mut v = vec![c.span.clone(), c.insert_at..c.insert_at];
            v.extend(c.packages.iter().map(|r| r.span.clone()));
            v.extend(c.snapshot.iter().map(|(_, r)| r.clone()));
            v
        })
        .chain(s.notes.iter().map(|n| n.span.clone()))
        .chain(s.unpinned.iter().map(|u| u.span.clone()));
    for span in spans {
        assert!(
            span.start <= span.end && span.end <= script.len(),
            "{span:?} in {script:?}"
        );
        assert!(script.is_char_boundary(span.start) && script.is_char_boundary(span.end));
    }
}

proptest! {
    #[test]
    fn any_input_is_read_without_panic(script in "\\PC*") {
        check_spans(&script);
    }

    #[test]
    fn shell_like_input_is_read_without_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("apt-get"), Just("install"), Just("apk"), Just("add"), Just("-t"), Just("-o"),
                Just("sh"), Just("-c"), Just("'"), Just("\""), Just("$("), Just(")"), Just("`"),
                Just("\\\n"), Just("\\"), Just("&&"), Just("|"), Just("<<"), Just("EOF"), Just("\n"),
                Just("#"), Just("é"), Just("curl"), Just("pip"), Just("--snapshot"), Just("x=1"),
                Just("${"), Just("}"), Just("="), Just(" "), Just("ü*"), Just("npm i -g"),
                Just("@"), Just("go install"), Just("|sh"), Just("-m pip install"), Just("é@"),
            ],
            0..40,
        )
    ) {
        check_spans(&parts.concat());
    }
}

#[test]
fn target_release_and_command_spans() {
    let cases = [
        (
            "apt-get install -y -t bookworm-backports golang",
            Some("bookworm-backports"),
        ),
        ("apt-get install --target-release=sid x", Some("sid")),
        (
            "apt-get -o APT::Default-Release=trixie install x",
            Some("trixie"),
        ),
        ("apt-get -yt bookworm install x", Some("bookworm")),
        ("apt-get install x", None),
    ];
    for (script, want) in cases {
        let c = &scan(script).commands[0];
        assert_eq!(c.target_release.as_deref(), want, "{script}");
        assert_eq!(c.packages.len(), 1, "{script}");
    }
    let script = "for p in a b; do apt-get install -y $p; done";
    let c = &scan(script).commands[0];
    assert_eq!(&script[c.span.clone()], "apt-get install -y $p");
    let script = "X=1 sudo apt-get install y 2>&1 | tee log";
    let c = &scan(script).commands[0];
    assert_eq!(&script[c.span.clone()], "X=1 sudo apt-get install y 2>&1");
}

#[test]
fn repositories_and_installers_in_one_script() {
    let script =
        "echo 'https://dl-cdn.alpinelinux.org/alpine/edge/testing' >> /etc/apk/repositories \\\n && apk add --no-cache foo@testing";
    let s = scan(script);
    assert_eq!(s.notes.len(), 1);
    assert!(s.notes[0]
        .message
        .starts_with("a repository added by an earlier command is not locked"));
    assert_eq!(s.commands[0].line, 1);
    let script = "cat <<EOF >/etc/apt/sources.list.d/x.list\ndeb http://x y z\nEOF\napt-get update";
    let s = scan(script);
    assert_eq!(
        &script[s.notes[0].span.clone()],
        "cat <<EOF >/etc/apt/sources.list.d/x.list"
    );
    assert_eq!((s.commands.len(), s.commands[0].line), (1, 3));
    let script =
        "curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs";
    let s = scan(script);
    assert_eq!(
        &script[s.unpinned[0].span.clone()],
        "curl -fsSL https://deb.nodesource.com/setup_20.x | bash -"
    );
    assert_eq!(s.commands[0].packages[0].name, "nodejs");
}

#[test]
fn wrappers_and_more_word_forms() {
    use Action::*;
    let cases: &[(&str, Commands)] = &[
        ("apt update", vec![(AptUpdate, vec![])]),
        ("exec apt-get install a", vec![(AptInstall, p(&["a|a|||"]))]),
        (
            "time -p apt-get install b:i386",
            vec![(AptInstall, p(&["b:i386|b|i386||"]))],
        ),
        (
            "command apt-get install c/stable",
            vec![(AptInstall, p(&["c/stable|c|||stable"]))],
        ),
        (
            "nohup nice -5 apt-get install d",
            vec![(AptInstall, p(&["d|d|||"]))],
        ),
        ("echo \"$(apt-get install e)\"; X=\"$(apk add f)\"", vec![]),
        (
            "case $x in a) apt-get install g;; esac",
            vec![(AptInstall, p(&["g|g|||"]))],
        ),
        (
            "apk add --repository https://x/edge/main --virtual=.d h 'i=1.0-r0'",
            vec![(ApkAdd, p(&["h|h|||", "'i=1.0-r0'|i||=1.0-r0|"]))],
        ),
        (
            "apk -U upgrade && apk add --update-cache j<2 k",
            vec![(ApkUpgrade, vec![]), (ApkAdd, p(&["j|j|||", "k|k|||"]))],
        ),
    ];
    for (script, want) in cases {
        assert_eq!(&packages(script), want, "{script}");
    }
}
