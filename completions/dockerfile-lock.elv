
use builtin;
use str;

set edit:completion:arg-completer[dockerfile-lock] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'dockerfile-lock'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'dockerfile-lock'= {
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand images 'List every external image the Dockerfiles use'
            cand sources 'List every source ADD fetches (HTTP URLs, git repositories)'
            cand packages 'List what RUN installs with apt and apk, and what the lock pins it to'
            cand resolve 'Resolve image references to digests, like `crane digest`'
            cand generate 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile'
            cand verify 'Check that each Dockerfile and its lock agree (offline unless --online)'
            cand rewrite 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)'
            cand update 'Re-resolve tags, update the locks and any pinned Dockerfile lines'
            cand export 'Export the locks for BuildKit: source policy, build contexts, bake, JSON'
            cand completions 'Print a shell completion script'
            cand man 'Print a man page (roff), or write them all with --out-dir'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dockerfile-lock;images'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --format 'Output format'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;sources'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --format 'Output format'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;packages'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --format 'Output format'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;resolve'= {
            cand --platform 'Also record the child digest for this platform (repeatable)'
            cand --format 'Output format'
            cand --insecure-registry 'Allow plain HTTP for this registry (loopback registries always are)'
            cand --registry-mirror 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names'
            cand -j 'Requests in flight at once per registry'
            cand --jobs 'Requests in flight at once per registry'
            cand --timeout 'Deadline in seconds for each registry request, each whole ADD download and each git lookup'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --offline 'Print a reference pinned by digest as it is, without asking the registry whether it has that digest'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;generate'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --lockfile 'Lockfile path (only with a single Dockerfile)'
            cand --snapshot 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --insecure-registry 'Allow plain HTTP for this registry (loopback registries always are)'
            cand --registry-mirror 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names'
            cand -j 'Requests in flight at once per registry'
            cand --jobs 'Requests in flight at once per registry'
            cand --timeout 'Deadline in seconds for each registry request, each whole ADD download and each git lookup'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --check 'Print a unified diff of the locks and exit 1 if any would change; write nothing'
            cand --packages 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage''s locked base image; a lock that has packages keeps them'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;verify'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --lockfile 'Lockfile path (only with a single Dockerfile)'
            cand --format 'Output format'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --insecure-registry 'Allow plain HTTP for this registry (loopback registries always are)'
            cand --registry-mirror 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names'
            cand -j 'Requests in flight at once per registry'
            cand --jobs 'Requests in flight at once per registry'
            cand --timeout 'Deadline in seconds for each registry request, each whole ADD download and each git lookup'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --online 'Also ask the registries whether each locked tag has moved'
            cand --require-pinned 'Report literal references that are not pinned by digest in the Dockerfile'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;rewrite'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --lockfile 'Lockfile path (only with a single Dockerfile)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --check 'Print a unified diff and exit 1 if anything would change; write nothing'
            cand --unpin 'Remove digests instead of adding them'
            cand --packages 'Also apply the locked packages in RUN lines: `--snapshot ID` for apt 2.7 or later, the snapshot as the sources for older apt, `name=version` for apk'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;update'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --image 'Only re-resolve these images (as written, e.g. `node:18`, or normalized)'
            cand --lockfile 'Lockfile path (only with a single Dockerfile)'
            cand --format 'Output format (`json`: what moved, was added, removed and written)'
            cand --snapshot 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)'
            cand --build-arg 'Set a build-time variable, as `docker build --build-arg` (repeatable)'
            cand --platform 'Target platform os/arch[/variant] (repeatable; default linux/amd64)'
            cand --target 'Only the images needed to build this stage'
            cand --env 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)'
            cand --insecure-registry 'Allow plain HTTP for this registry (loopback registries always are)'
            cand --registry-mirror 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names'
            cand -j 'Requests in flight at once per registry'
            cand --jobs 'Requests in flight at once per registry'
            cand --timeout 'Deadline in seconds for each registry request, each whole ADD download and each git lookup'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --check 'Print a unified diff of the locks and Dockerfiles and exit 1 if any would change; write nothing'
            cand --packages 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage''s locked base image; a lock that has packages keeps them'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;export'= {
            cand -r 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --recursive 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included'
            cand --exclude 'Skip paths matching this glob below the root with --recursive (repeatable)'
            cand --lockfile 'Lockfile path (only with a single Dockerfile)'
            cand --format 'What to write'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand --no-verify 'Export even when a lock is out of date with its file (by default, nothing is printed and the findings are, as `verify` reports them)'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'dockerfile-lock;completions'= {
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;man'= {
            cand --out-dir 'Write every page (dockerfile-lock.1 and dockerfile-lock-SUBCOMMAND.1) into this directory, e.g. ~/.local/share/man/man1'
            cand -C 'Run as if started in DIR'
            cand --color 'When to use colour on stderr'
            cand -q 'Print less (errors only)'
            cand --quiet 'Print less (errors only)'
            cand -v 'Print more (repeat for more detail)'
            cand --verbose 'Print more (repeat for more detail)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'dockerfile-lock;help'= {
            cand images 'List every external image the Dockerfiles use'
            cand sources 'List every source ADD fetches (HTTP URLs, git repositories)'
            cand packages 'List what RUN installs with apt and apk, and what the lock pins it to'
            cand resolve 'Resolve image references to digests, like `crane digest`'
            cand generate 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile'
            cand verify 'Check that each Dockerfile and its lock agree (offline unless --online)'
            cand rewrite 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)'
            cand update 'Re-resolve tags, update the locks and any pinned Dockerfile lines'
            cand export 'Export the locks for BuildKit: source policy, build contexts, bake, JSON'
            cand completions 'Print a shell completion script'
            cand man 'Print a man page (roff), or write them all with --out-dir'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'dockerfile-lock;help;images'= {
        }
        &'dockerfile-lock;help;sources'= {
        }
        &'dockerfile-lock;help;packages'= {
        }
        &'dockerfile-lock;help;resolve'= {
        }
        &'dockerfile-lock;help;generate'= {
        }
        &'dockerfile-lock;help;verify'= {
        }
        &'dockerfile-lock;help;rewrite'= {
        }
        &'dockerfile-lock;help;update'= {
        }
        &'dockerfile-lock;help;export'= {
        }
        &'dockerfile-lock;help;completions'= {
        }
        &'dockerfile-lock;help;man'= {
        }
        &'dockerfile-lock;help;help'= {
        }
    ]
    $completions[$command]
}
