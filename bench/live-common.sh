# Sourced by the live measurement scripts (run-live.sh, run-perf.sh, run-routed.sh, run-ack-latency.sh): what each does before and
# around its harness. Not a command of its own.

# live_parse_quick_and_runs ARGS...: --quick, --runs N and -h/--help (with the caller's usage function); sets quick
# (yes or no) and harness_args (what the harness is given of them). Bad usage exits 2.
live_parse_quick_and_runs() {
    harness_args=()
    quick=no
    while (($#)); do
        case $1 in
            --quick) quick=yes; harness_args+=(--quick); shift ;;
            --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; harness_args+=(--runs "$2"); shift 2 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; exit 2 ;;
        esac
    done
}

# live_prepare NAME WHY: needs root (WHY says for what), installs what is missing and builds (scripts/setup.sh), and sets
#   repo      the checkout
#   started   $SECONDS at the start, for the closing "done in" line
#   commit    the measured commit, "(dirty: ...)" appended when files outside perf-results differ from it: recorded
#             before the run, so the report names the code that was measured; the reports themselves do not count
#   harness   UserTcp.LiveBench, built
live_prepare() {
    local name=$1 why=$2
    [[ $(id -u) -eq 0 ]] || { echo "$name: needs root ($why)" >&2; exit 1; }
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    started=$SECONDS
    bash "$repo/scripts/setup.sh"
    commit=$(git -C "$repo" rev-parse --short HEAD)
    if [[ -n $(git -C "$repo" status --porcelain -- . ':(exclude)perf-results') ]]; then
        commit+=" (dirty: uncommitted changes were measured)"
    fi
    harness="$repo/bench/UserTcp.LiveBench/bin/Release/net10.0/UserTcp.LiveBench.dll"
}

# live_unique_lab PREFIX: sets lab to PREFIX and six random hex digits, so two runs on one machine never share a lab.
live_unique_lab() { lab="$1$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"; }

# The harness removes its lab itself; this is for a cleanup trap, for when it could not (killed with SIGKILL, say), and
# finds nothing to do otherwise.
live_remove_lab() {
    if [[ -d /var/lib/usertcp-lab/$lab ]]; then "$repo/usertcp" lab down --name "$lab" >/dev/null || true; fi
}
