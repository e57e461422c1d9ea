#!/usr/bin/env bash
# Bazel workspace status for stamped builds (--config=release): the git commit
# that becomes the image's revision label and its pushed tag. STABLE_ keys
# re-run stamped actions when they change. A tree with local changes is marked
# so that it can never take a clean commit's tag.
set -euo pipefail
commit="$(git rev-parse HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  commit="${commit}-dirty"
fi
echo "STABLE_GIT_COMMIT ${commit}"
