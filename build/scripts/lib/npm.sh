# shellcheck shell=bash
# Sourced by build/scripts/{deps,e2e,bench-ui}.sh; the caller defines log().

# npm_ci DIR: install DIR's packages from its lock file unless node_modules already matches it.
npm_ci() {
	local dir=$1
	[[ -f $dir/package-lock.json ]] || { log "$dir: no package-lock.json, skipped"; return 0; }
	# A worktree may share another checkout's install through a symlink: npm ci would empty
	# that install (everyone's) and put a copy here; the owner of the install keeps it current.
	if [[ -L $dir/node_modules ]]; then
		cmp -s "$dir/package-lock.json" "$(readlink -f "$dir/node_modules")/../package-lock.json" ||
			log "$dir/node_modules is a shared install (symlink) from another lock file: not reinstalling it"
		return 0
	fi
	# npm writes node_modules/.package-lock.json after every install: when it is newer than
	# both the lock file and package.json, node_modules is current.
	if [[ -f $dir/node_modules/.package-lock.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json \
		&& $dir/node_modules/.package-lock.json -nt $dir/package.json ]]; then
		log "$dir: node_modules up to date"
		return 0
	fi
	local t0=$SECONDS
	log "npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	log "$dir: npm ci done in $((SECONDS - t0))s"
}
