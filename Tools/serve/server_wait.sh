# Sourced by the serve scripts (serve_bench.sh, serve_soak.sh, fuzz_api.sh) after starting
# `vlmembed serve --port 0 2>"$LOG" &` with PID=$!; they define die().
#   wait_for_port     sets PORT and BASE from the server's 'listening on' line (60 s at most)
#   wait_for_health   waits until GET /health answers 200 (the model is open; 600 s at most)

wait_for_port() {
  PORT=""
  for _ in $(seq 600); do
    PORT=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$LOG" | head -1 | sed 's/.*://') || true
    [[ -n "$PORT" ]] && break
    kill -0 "$PID" 2>/dev/null || die "the server exited: $(tail -3 "$LOG")"
    sleep 0.1
  done
  [[ -n "$PORT" ]] || die "the server did not log 'listening on' within 60 s"
  BASE="http://127.0.0.1:$PORT"
}

wait_for_health() {
  for _ in $(seq 6000); do
    [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/health")" == 200 ]] && return 0
    kill -0 "$PID" 2>/dev/null || die "the server exited: $(tail -3 "$LOG")"
    sleep 0.1
  done
  die "/health not 200 within 600 s"
}
