# Benchmark (tools/bench, tools/benchmark): wrk from Debian, and the chart and
# profiler packages into the project .venv from the bench's own hashed lock.
kv_apt wrk wrk
# Debian prints "wrk debian/4.1.0-3+b2 ..."; upstream builds print "wrk 4.1.0 ...".
case "$(wrk -v 2>&1 | head -n1)" in
  "wrk $WRK_VERSION "* | "wrk debian/$WRK_VERSION-"*) ;;
  *) kv_die "wrk $WRK_VERSION expected (tools/versions.env), found: $(wrk -v 2>&1 | head -n1)" ;;
esac
kv_pip_sync "$KV_VENV" "$KV_ROOT/tools/benchmark/requirements.lock"
