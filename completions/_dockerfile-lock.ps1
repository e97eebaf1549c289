
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'dockerfile-lock' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'dockerfile-lock'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'dockerfile-lock' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List every external image the Dockerfiles use')
            [CompletionResult]::new('sources', 'sources', [CompletionResultType]::ParameterValue, 'List every source ADD fetches (HTTP URLs, git repositories)')
            [CompletionResult]::new('packages', 'packages', [CompletionResultType]::ParameterValue, 'List what RUN installs with apt and apk, and what the lock pins it to')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve image references to digests, like `crane digest`')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that each Dockerfile and its lock agree (offline unless --online)')
            [CompletionResult]::new('rewrite', 'rewrite', [CompletionResultType]::ParameterValue, 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Re-resolve tags, update the locks and any pinned Dockerfile lines')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export the locks for BuildKit: source policy, build contexts, bake, JSON')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), or write them all with --out-dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dockerfile-lock;images' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;sources' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;packages' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;resolve' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Also record the child digest for this platform (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP for this registry (loopback registries always are)')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each registry request, each whole ADD download and each git lookup')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Print a reference pinned by digest as it is, without asking the registry whether it has that digest')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;generate' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--lockfile', '--lockfile', [CompletionResultType]::ParameterName, 'Lockfile path (only with a single Dockerfile)')
            [CompletionResult]::new('--snapshot', '--snapshot', [CompletionResultType]::ParameterName, 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP for this registry (loopback registries always are)')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each registry request, each whole ADD download and each git lookup')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Print a unified diff of the locks and exit 1 if any would change; write nothing')
            [CompletionResult]::new('--packages', '--packages', [CompletionResultType]::ParameterName, 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage''s locked base image; a lock that has packages keeps them')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;verify' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--lockfile', '--lockfile', [CompletionResultType]::ParameterName, 'Lockfile path (only with a single Dockerfile)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP for this registry (loopback registries always are)')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each registry request, each whole ADD download and each git lookup')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Also ask the registries whether each locked tag has moved')
            [CompletionResult]::new('--require-pinned', '--require-pinned', [CompletionResultType]::ParameterName, 'Report literal references that are not pinned by digest in the Dockerfile')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;rewrite' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--lockfile', '--lockfile', [CompletionResultType]::ParameterName, 'Lockfile path (only with a single Dockerfile)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Print a unified diff and exit 1 if anything would change; write nothing')
            [CompletionResult]::new('--unpin', '--unpin', [CompletionResultType]::ParameterName, 'Remove digests instead of adding them')
            [CompletionResult]::new('--packages', '--packages', [CompletionResultType]::ParameterName, 'Also apply the locked packages in RUN lines: `--snapshot ID` for apt 2.7 or later, the snapshot as the sources for older apt, `name=version` for apk')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;update' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Only re-resolve these images (as written, e.g. `node:18`, or normalized)')
            [CompletionResult]::new('--lockfile', '--lockfile', [CompletionResultType]::ParameterName, 'Lockfile path (only with a single Dockerfile)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (`json`: what moved, was added, removed and written)')
            [CompletionResult]::new('--snapshot', '--snapshot', [CompletionResultType]::ParameterName, 'The apt snapshot to lock at: `now` (the default), `base` (the one the base image records) or an ID (YYYYMMDDTHHMMSSZ)')
            [CompletionResult]::new('--build-arg', '--build-arg', [CompletionResultType]::ParameterName, 'Set a build-time variable, as `docker build --build-arg` (repeatable)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Target platform os/arch[/variant] (repeatable; default linux/amd64)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Only the images needed to build this stage')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set a variable for compose and bake file interpolation (repeatable; wins over the environment and `.env`)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP for this registry (loopback registries always are)')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve REGISTRY''s images through a mirror; the lock keeps the original names')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once per registry')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each registry request, each whole ADD download and each git lookup')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Print a unified diff of the locks and Dockerfiles and exit 1 if any would change; write nothing')
            [CompletionResult]::new('--packages', '--packages', [CompletionResultType]::ParameterName, 'Also lock what RUN installs with apt (by snapshot) and apk (by version), read from each stage''s locked base image; a lock that has packages keeps them')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;export' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and action.yml file below DIR (default: the current directory): git-tracked files, hidden directories included')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Skip paths matching this glob below the root with --recursive (repeatable)')
            [CompletionResult]::new('--lockfile', '--lockfile', [CompletionResultType]::ParameterName, 'Lockfile path (only with a single Dockerfile)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What to write')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('--no-verify', '--no-verify', [CompletionResultType]::ParameterName, 'Export even when a lock is out of date with its file (by default, nothing is printed and the findings are, as `verify` reports them)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'dockerfile-lock;completions' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write every page (dockerfile-lock.1 and dockerfile-lock-SUBCOMMAND.1) into this directory, e.g. ~/.local/share/man/man1')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less (errors only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more (repeat for more detail)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'dockerfile-lock;help' {
            [CompletionResult]::new('images', 'images', [CompletionResultType]::ParameterValue, 'List every external image the Dockerfiles use')
            [CompletionResult]::new('sources', 'sources', [CompletionResultType]::ParameterValue, 'List every source ADD fetches (HTTP URLs, git repositories)')
            [CompletionResult]::new('packages', 'packages', [CompletionResultType]::ParameterValue, 'List what RUN installs with apt and apk, and what the lock pins it to')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve image references to digests, like `crane digest`')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that each Dockerfile and its lock agree (offline unless --online)')
            [CompletionResult]::new('rewrite', 'rewrite', [CompletionResultType]::ParameterValue, 'Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Re-resolve tags, update the locks and any pinned Dockerfile lines')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export the locks for BuildKit: source policy, build contexts, bake, JSON')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff), or write them all with --out-dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'dockerfile-lock;help;images' {
            break
        }
        'dockerfile-lock;help;sources' {
            break
        }
        'dockerfile-lock;help;packages' {
            break
        }
        'dockerfile-lock;help;resolve' {
            break
        }
        'dockerfile-lock;help;generate' {
            break
        }
        'dockerfile-lock;help;verify' {
            break
        }
        'dockerfile-lock;help;rewrite' {
            break
        }
        'dockerfile-lock;help;update' {
            break
        }
        'dockerfile-lock;help;export' {
            break
        }
        'dockerfile-lock;help;completions' {
            break
        }
        'dockerfile-lock;help;man' {
            break
        }
        'dockerfile-lock;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
