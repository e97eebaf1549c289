//! Secrets that reach an `ADD` URL through a variable (the environment, a compose `.env`,
//! a bake `variable`, `--build-arg`) never land in a lock, an export, a finding, an error
//! or `-vv` output: the lock records the URL with `***` in their place.

use crate::support::sources::HttpServer;
use crate::tree::{Run, Tree};

const DOTENV_TOKEN: &str = "glpat-dotenv-5ecret-4242";
const ENV_TOKEN: &str = "ghp_env5ecretUserToken77";
const BAKE_TOKEN: &str = "bake-variable-5ecret-99";

/// No secret in any file below the temp directory (but the `.env` it came from), nor in
/// any run's output.
fn assert_nowhere(tree: &Tree, runs: &[&Run], secrets: &[&str]) {
    for s in secrets {
        let mut files = tree.files_containing(s);
        files.retain(|f| f != &tree.root().join(".env"));
        assert!(files.is_empty(), "{s} written to {files:?}");
        for r in runs {
            assert!(!r.output().contains(s), "{s} printed:\n{}", r.output());
        }
    }
}

/// The loopback port `server` listens on, for URLs that put userinfo before the host.
fn port_of(server: &HttpServer) -> String {
    let url = server.url("");
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string()
}

/// A Dockerfile that compose builds, fetching with a token in the query (from `.env`) and
/// one used as the user name (from the environment).
fn compose_tree(server: &HttpServer) -> Tree {
    let tree = Tree::new();
    server.set(
        &format!("/f?private_token={DOTENV_TOKEN}"),
        b"query-token bytes",
    );
    server.set("/g", b"user-token bytes");
    let port = port_of(server);
    tree.write(
        "compose.yaml",
        "services:\n  app:\n    build:\n      context: .\n      args:\n        QTOKEN: ${QTOKEN}\n        UTOKEN: ${UTOKEN}\n",
    );
    tree.write(".env", format!("QTOKEN={DOTENV_TOKEN}\n"));
    tree.write(
        "Dockerfile",
        format!(
            "FROM scratch\nARG QTOKEN\nARG UTOKEN\n\
             ADD http://127.0.0.1:{port}/f?private_token=${{QTOKEN}} /f\n\
             ADD http://${{UTOKEN}}@127.0.0.1:{port}/g /g\n"
        ),
    );
    tree.commit();
    tree
}

#[test]
fn compose_env_and_dotenv_tokens_stay_out_of_the_lock_exports_and_output() {
    let server = HttpServer::start();
    let tree = compose_tree(&server);
    let env = [("UTOKEN", ENV_TOKEN)];
    let generate = tree.run(&["generate", "--recursive", "-vv"], &env);
    assert_eq!(generate.code, Some(0), "{generate:?}");
    let lock = std::fs::read_to_string(tree.root().join("compose.yaml.lock")).unwrap();
    assert!(lock.contains("private_token=***"), "{lock}");
    assert!(lock.contains("http://***@127.0.0.1:"), "{lock}");
    let verify = tree.run(&["verify", "--recursive", "-vv"], &env);
    assert_eq!(verify.code, Some(0), "{verify:?}");
    let online = tree.run(&["verify", "--recursive", "--online", "-vv"], &env);
    assert_eq!(online.code, Some(0), "{online:?}");
    let policy = tree.run(
        &["export", "--format", "source-policy", "compose.yaml"],
        &env,
    );
    assert_eq!(policy.code, Some(0), "{policy:?}");
    assert!(policy.stdout.contains("\"WILDCARD\""), "{}", policy.stdout);
    let json = tree.run(&["export", "--format", "json", "compose.yaml"], &env);
    assert_eq!(json.code, Some(0), "{json:?}");
    assert_nowhere(
        &tree,
        &[&generate, &verify, &online, &policy, &json],
        &[DOTENV_TOKEN, ENV_TOKEN],
    );
}

#[test]
fn a_changed_host_path_or_ref_is_still_caught() {
    let server = HttpServer::start();
    let tree = compose_tree(&server);
    let env = [("UTOKEN", ENV_TOKEN)];
    assert_eq!(tree.run(&["generate", "--recursive"], &env).code, Some(0));
    let dockerfile = std::fs::read_to_string(tree.root().join("Dockerfile")).unwrap();
    tree.write("Dockerfile", dockerfile.replace("/f?", "/other?"));
    let verify = tree.run(&["verify", "--recursive", "-vv"], &env);
    assert_eq!(verify.code, Some(1), "{verify:?}");
    assert!(
        verify.output().contains("/other?private_token=***"),
        "{verify:?}"
    );
    // Another token is the same source: the lock holds no token to compare.
    let other = [("UTOKEN", "another-token-entirely")];
    assert_eq!(tree.run(&["verify", "--recursive"], &other).code, Some(1));
    tree.write("Dockerfile", dockerfile);
    assert_eq!(tree.run(&["verify", "--recursive"], &other).code, Some(0));
    assert_nowhere(&tree, &[&verify], &[DOTENV_TOKEN, ENV_TOKEN]);
}

#[test]
fn a_bake_variable_token_stays_out_of_the_lock() {
    let server = HttpServer::start();
    let tree = Tree::new();
    server.set(&format!("/b?token={BAKE_TOKEN}&v=1"), b"bake bytes");
    let url = server.url("/b");
    tree.write(
        "docker-bake.hcl",
        "variable \"TOKEN\" {\n  default = \"\"\n}\n\ntarget \"default\" {\n  context = \".\"\n  args = {\n    TOKEN = TOKEN\n  }\n}\n",
    );
    tree.write(
        "Dockerfile",
        format!("FROM scratch\nARG TOKEN\nADD {url}?token=${{TOKEN}}&v=1 /b\n"),
    );
    tree.commit();
    let env = [("TOKEN", BAKE_TOKEN)];
    let generate = tree.run(&["generate", "--recursive", "-vv"], &env);
    assert_eq!(generate.code, Some(0), "{generate:?}");
    let lock = std::fs::read_to_string(tree.root().join("docker-bake.hcl.lock")).unwrap();
    // The literal `v=1` identifies the source and stays; the token does not.
    assert!(lock.contains("/b?token=***&v=1"), "{lock}");
    let verify = tree.run(&["verify", "--recursive", "-vv"], &env);
    assert_eq!(verify.code, Some(0), "{verify:?}");
    assert_nowhere(&tree, &[&generate, &verify], &[BAKE_TOKEN]);
}

#[test]
fn errors_and_the_sources_listing_mask_a_token_used_as_the_user_name() {
    let server = HttpServer::start();
    let tree = Tree::new();
    let port = port_of(&server);
    tree.write(
        "Dockerfile",
        format!("FROM scratch\nARG T\nADD http://${{T}}@127.0.0.1:{port}/missing?k=${{T}} /m\n"),
    );
    tree.commit();
    let arg = format!("T={ENV_TOKEN}");
    let sources = tree.run(&["sources", "--build-arg", &arg, "Dockerfile"], &[]);
    assert_eq!(sources.code, Some(0), "{sources:?}");
    assert!(sources.stdout.contains("***@127.0.0.1"), "{sources:?}");
    let json = tree.run(
        &[
            "sources",
            "--format",
            "json",
            "--build-arg",
            &arg,
            "Dockerfile",
        ],
        &[],
    );
    assert_eq!(json.code, Some(0), "{json:?}");
    // A 404 for the URL: the error names the masked URL only.
    let generate = tree.run(&["generate", "-vv", "--build-arg", &arg], &[]);
    assert_eq!(generate.code, Some(2), "{generate:?}");
    assert!(generate.stderr.contains("***@127.0.0.1"), "{generate:?}");
    for r in [&sources, &json, &generate] {
        assert!(!r.output().contains(ENV_TOKEN), "printed:\n{}", r.output());
    }
}
