# shellcheck shell=bash
# Loop guard, sourced by the push and promote steps: a promote commit
# (subject "promote(<env>): ...", written by tools/promote) and a git revert
# of one only change the GitOps values file. They are tested like every
# commit (the required status check reports green), but building them would
# promote again, and would undo a revert used as a rollback: skip.
subject="$(git log -1 --format=%s "${BUILDKITE_COMMIT:-HEAD}")"
case "$subject" in
  promote\(*\):\ * | Revert\ \"promote\(*\):\ *)
    echo "skipping: $subject (a promotion or its rollback, not a build)"
    exit 0
    ;;
esac
