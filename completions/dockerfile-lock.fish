# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_dockerfile_lock_global_optspecs
    string join \n q/quiet v/verbose C= color= h/help V/version
end

function __fish_dockerfile_lock_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_dockerfile_lock_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_dockerfile_lock_using_subcommand
    set -l cmd (__fish_dockerfile_lock_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -s V -l version -d 'Print version'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "images" -d 'List every external image the Dockerfiles use'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "sources" -d 'List every source ADD fetches (HTTP URLs, git repositories)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "packages" -d 'List what RUN installs with apt and apk, and what the lock pins it to'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "resolve" -d 'Resolve image references to digests, like `crane digest`'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "generate" -d 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "verify" -d 'Check that each Dockerfile and its lock agree (offline unless --online)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "rewrite" -d 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "update" -d 'Re-resolve tags, update the locks and any pinned Dockerfile lines'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "export" -d 'Export the locks for BuildKit: source policy, build contexts, bake, JSON'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "man" -d 'Print a man page (roff), or write them all with --out-dir'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand images" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand sources" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand packages" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l platform -d 'Also record the child digest for this platform (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l insecure-registry -d 'Allow plain HTTP for this registry (loopback registries always are)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l registry-mirror -d 'Resolve REGISTRY\'s images through a mirror; the lock keeps the original names' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -s j -l jobs -d 'Requests in flight at once per registry' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l timeout -d 'Deadline in seconds for each registry request, each whole ADD download and each git lookup' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -l offline -d 'Print a reference pinned by digest as it is, without asking the registry whether it has that digest'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand resolve" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l lockfile -d 'Lockfile path (only with a single Dockerfile)' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l snapshot -d 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l insecure-registry -d 'Allow plain HTTP for this registry (loopback registries always are)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l registry-mirror -d 'Resolve REGISTRY\'s images through a mirror; the lock keeps the original names' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s j -l jobs -d 'Requests in flight at once per registry' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l timeout -d 'Deadline in seconds for each registry request, each whole ADD download and each git lookup' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l check -d 'Print a unified diff of the locks and exit 1 if any would change; write nothing'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -l packages -d 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage\'s locked base image; a lock that has packages keeps them'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand generate" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l lockfile -d 'Lockfile path (only with a single Dockerfile)' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l format -d 'Output format' -r -f -a "text\t''
json\t''
github\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l insecure-registry -d 'Allow plain HTTP for this registry (loopback registries always are)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l registry-mirror -d 'Resolve REGISTRY\'s images through a mirror; the lock keeps the original names' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s j -l jobs -d 'Requests in flight at once per registry' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l timeout -d 'Deadline in seconds for each registry request, each whole ADD download and each git lookup' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l online -d 'Also ask the registries whether each locked tag has moved'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -l require-pinned -d 'Report literal references that are not pinned by digest in the Dockerfile'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand verify" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l lockfile -d 'Lockfile path (only with a single Dockerfile)' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l check -d 'Print a unified diff and exit 1 if anything would change; write nothing'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l unpin -d 'Remove digests instead of adding them'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -l packages -d 'Also apply the locked packages in RUN lines: `--snapshot ID` for apt 2.7 or later, the snapshot as the sources for older apt, `name=version` for apk'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand rewrite" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l image -d 'Only re-resolve these images (as written, e.g. `node:18`, or normalized)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l lockfile -d 'Lockfile path (only with a single Dockerfile)' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l format -d 'Output format (`json`: what moved, was added, removed and written)' -r -f -a "text\t''
json\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l snapshot -d 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l build-arg -d 'Set a build-time variable, as `docker build --build-arg` (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l platform -d 'Target platform os/arch[/variant] (repeatable; default linux/amd64)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l target -d 'Only the images needed to build this stage' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l env -d 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l insecure-registry -d 'Allow plain HTTP for this registry (loopback registries always are)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l registry-mirror -d 'Resolve REGISTRY\'s images through a mirror; the lock keeps the original names' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s j -l jobs -d 'Requests in flight at once per registry' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l timeout -d 'Deadline in seconds for each registry request, each whole ADD download and each git lookup' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l check -d 'Print a unified diff of the locks and Dockerfiles and exit 1 if any would change; write nothing'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -l packages -d 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage\'s locked base image; a lock that has packages keeps them'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand update" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -s r -l recursive -d 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -l exclude -d 'Skip paths matching this glob below the root with --recursive (repeatable)' -r
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -l lockfile -d 'Lockfile path (only with a single Dockerfile)' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -l format -d 'What to write' -r -f -a "source-policy\t'BuildKit source policy JSON (EXPERIMENTAL_BUILDKIT_SOURCE_POLICY)'
build-contexts\t'`--build-context` arguments for `docker buildx build`'
bake\t'A `contexts` block for a bake file'
json\t'The locks as one JSON document'
compose\t'A compose override file pinning every service\'s image and what each build uses'
build-args\t'`--build-arg` arguments that apply the lock through the Dockerfile\'s own ARGs (`APT_SNAPSHOT`), for `docker buildx build`'"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -l no-verify -d 'Export even when a lock is out of date with its file (by default, nothing is printed and the findings are, as `verify` reports them)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand completions" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand completions" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand completions" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand completions" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand completions" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -l out-dir -d 'Write every page (dockerfile-lock.1 and dockerfile-lock-SUBCOMMAND.1) into this directory, e.g. ~/.local/share/man/man1' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -s C -d 'Run as if started in DIR' -r -F
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -l color -d 'When to use colour on stderr' -r -f -a "auto\t''
always\t''
never\t''"
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -s q -l quiet -d 'Print less (errors only)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -s v -l verbose -d 'Print more (repeat for more detail)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand man" -s h -l help -d 'Print help'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "images" -d 'List every external image the Dockerfiles use'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "sources" -d 'List every source ADD fetches (HTTP URLs, git repositories)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "packages" -d 'List what RUN installs with apt and apk, and what the lock pins it to'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "resolve" -d 'Resolve image references to digests, like `crane digest`'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "generate" -d 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "verify" -d 'Check that each Dockerfile and its lock agree (offline unless --online)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "rewrite" -d 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "update" -d 'Re-resolve tags, update the locks and any pinned Dockerfile lines'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "export" -d 'Export the locks for BuildKit: source policy, build contexts, bake, JSON'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "man" -d 'Print a man page (roff), or write them all with --out-dir'
complete -c dockerfile-lock -n "__fish_dockerfile_lock_using_subcommand help; and not __fish_seen_subcommand_from images sources packages resolve generate verify rewrite update export completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
