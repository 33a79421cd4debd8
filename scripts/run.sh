#!/usr/bin/env bash
# `make run`: the whole product on one machine, on its embedded defaults.
#   model (shipped) -> Redis (a local redis-server when one can be started; else uncached)
#   -> demo catalog ingested into the embedded Qdrant when it is empty
#   -> classifier :50051, speech :50053, recommender :50052, gateway :8080 -> prints the page's URL
# Ctrl-C stops everything cleanly (each service finishes its in-flight calls).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh serve

export MOODTUNE_LOG_FORMAT=${MOODTUNE_LOG_FORMAT:-text}
export MOODTUNE_REDIS_URL=${MOODTUNE_REDIS_URL:-redis://127.0.0.1:6379/0}
classifier=${MOODTUNE_CLASSIFIER_LISTEN:-127.0.0.1:50051}
recommender=${MOODTUNE_RECOMMENDER_LISTEN:-127.0.0.1:50052}
speech=${MOODTUNE_SPEECH_LISTEN:-127.0.0.1:50053}
gateway_port=${MOODTUNE_GATEWAY_PORT:-8080}
py=.venv/bin/python
mt=.venv/bin/moodtune
logs=.moodtune/logs
mkdir -p "$logs" .moodtune/redis
pids=()

stop() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo; echo "stopping moodtune..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop INT TERM EXIT

model_dir=${MOODTUNE_MODEL_DIR:-models/moodtune-ko-e5-small}
[ -f "$model_dir/model.onnx" ] || { echo "run: no model in $model_dir (make model builds it)" >&2; exit 1; }

redis_up() { $py -c "import redis,sys; redis.Redis.from_url('$MOODTUNE_REDIS_URL', socket_timeout=1).ping()" 2>/dev/null; }
if redis_up; then
  echo "run: using Redis at $MOODTUNE_REDIS_URL"
else
  if ! command -v redis-server >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "run: installing Debian's redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) || true
  fi
  if command -v redis-server >/dev/null && [[ "$MOODTUNE_REDIS_URL" == redis://127.0.0.1:* ]]; then
    port=${MOODTUNE_REDIS_URL#redis://127.0.0.1:}; port=${port%%/*}
    redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.moodtune/redis" --appendonly yes --save "" \
      >"$logs/redis.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  fi
  if redis_up; then echo "run: started redis-server on $MOODTUNE_REDIS_URL (append-only file in .moodtune/redis)"
  else echo "run: no Redis could be started: running uncached (slower, still correct)"; fi
fi

# An embedded store from an earlier version (qdrant-client local mode) is migrated into Qdrant Edge here.
songs=$($py -m services.common.catalog.count) || { echo "run: the catalog cannot be opened (above: why)" >&2; exit 1; }
if [ "$songs" = "0" ]; then
  echo "run: the catalog is empty: ingesting the demo catalog (about a minute; the first time a few more to render its sound, where fluidsynth is installed)"
  $mt ingest --demo
fi

MOODTUNE_CLASSIFIER_LISTEN=$classifier $mt serve classifier >"$logs/classifier.log" 2>&1 &
pids+=($!)
$py -m services.common.readiness grpc "$classifier" --timeout 120 || { echo "run: classifier failed, see $logs/classifier.log" >&2; exit 1; }
echo "run: classifier serving on $classifier"

# Speech loads its model while the rest starts; the recommender does not wait for it (text needs none).
MOODTUNE_SPEECH_LISTEN=$speech $mt serve speech >"$logs/speech.log" 2>&1 &
pids+=($!)

MOODTUNE_CLASSIFIER_ADDR=$classifier MOODTUNE_SPEECH_ADDR=$speech MOODTUNE_RECOMMENDER_LISTEN=$recommender $mt serve recommender \
  >"$logs/recommender.log" 2>&1 &
pids+=($!)
$py -m services.common.readiness grpc "$recommender" --timeout 120 || { echo "run: recommender failed, see $logs/recommender.log" >&2; exit 1; }
echo "run: recommender serving on $recommender"
$py -m services.common.readiness grpc "$speech" --timeout 120 || { echo "run: speech failed, see $logs/speech.log" >&2; exit 1; }
echo "run: speech serving on $speech"

MOODTUNE_RECOMMENDER_ADDR=$recommender MOODTUNE_GATEWAY_PORT=$gateway_port $mt serve gateway >"$logs/gateway.log" 2>&1 &
pids+=($!)
$py -m services.common.readiness http "http://127.0.0.1:$gateway_port/readyz" --timeout 60 || { echo "run: gateway failed, see $logs/gateway.log" >&2; exit 1; }

echo
echo "  moodtune is running: http://127.0.0.1:$gateway_port"
echo "  API docs: http://127.0.0.1:$gateway_port/docs · gRPC: $recommender (Recommender), $classifier (EmotionClassifier), $speech (Speech)"
echo "  logs: $logs/ · Ctrl-C stops everything"
wait -n "${pids[@]}" || true
echo "run: a service stopped; see $logs/" >&2
