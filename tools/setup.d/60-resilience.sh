# Resilience and runtime tests (services/kv/tests): runc runs the service as
# the image would (test_runtime.py), redis-cli forms the test cluster,
# openssl makes a throwaway CA for the TLS tests. All from Debian.
kv_apt runc runc
kv_apt redis-cli redis-tools
kv_apt openssl openssl
# Debian prints "runc version 1.1.5+ds1"; the pin is the upstream version.
case "$(runc --version 2>/dev/null | head -n1)" in
  "runc version $RUNC_VERSION" | "runc version $RUNC_VERSION+"*) ;;
  *) kv_die "runc $RUNC_VERSION expected (tools/versions.env), found: $(runc --version 2>&1 | head -n1)" ;;
esac
