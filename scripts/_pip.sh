# pip_isolated PYTHON ARGS...: PYTHON -m pip ARGS without this machine's pip configuration.
# Sourced by scripts/_env.sh, scripts/offline-bundle.sh and scripts/lock.sh.
#
# PIP_CONFIG_FILE=/dev/null drops every pip configuration file (global, user, site), and every
# PIP_* variable that chooses packages (find-links, index URLs, constraints, …) is unset, so only
# the index given on the command line takes part.  Variables about the connection itself (PIP_CERT,
# PIP_PROXY, PIP_DEFAULT_TIMEOUT, …) are kept: they change how files are fetched, not which.
pip_isolated() {
  local python=$1 drop=() var
  shift
  for var in $(compgen -e); do
    case "$var" in
      PIP_CERT | PIP_CLIENT_CERT | PIP_PROXY | PIP_DEFAULT_TIMEOUT | PIP_TIMEOUT | PIP_RETRIES) ;;
      PIP_*) drop+=(-u "$var") ;;
    esac
  done
  env "${drop[@]}" PIP_CONFIG_FILE=/dev/null "$python" -m pip --disable-pip-version-check "$@"
}

# The index the lock files are resolved against and installed from; TRACKER_INDEX_URL may name a
# mirror of it (the lock's hashes still have to match).
PYPI_INDEX=${TRACKER_INDEX_URL:-https://pypi.org/simple}
