// moodtune's page: everything it shows is built with textContent, never innerHTML, so a lyric or a
// sentence containing markup is shown as text.
"use strict";

const EMOTIONS = [
  ["anger", "분노"], ["tension", "긴장"], ["sadness", "슬픔"],
  ["peace", "평화"], ["joy", "기쁨"], ["neutral", "중립"],
];
const KOREAN = Object.fromEntries(EMOTIONS);

const $ = (id) => document.getElementById(id);

function userId() {
  let id = localStorage.getItem("moodtune-user");
  if (!id) {
    id = "web-" + crypto.getRandomValues(new Uint32Array(2)).join("-");
    localStorage.setItem("moodtune-user", id);
  }
  return id;
}

function showMessage(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind === "info" ? "info" : "";
  box.hidden = false;
}

// Refusals of a recording, by the error code the API answers with: said plainly, without the English detail.
const SPEECH_ERRORS = {
  no_speech: "말소리가 들리지 않았어요. 마이크 가까이에서 조금 더 크게 다시 말해 주세요.",
  audio_too_large: "녹음이 너무 길어요. 30초 안으로 말해 주세요.",
  unsupported_audio: "녹음을 읽지 못했어요. 다시 녹음하거나 글로 적어 주세요.",
  unsupported_media_type: "녹음을 읽지 못했어요. 다시 녹음하거나 글로 적어 주세요.",
};

async function post(path, body, contentType) {
  return call(path, { method: "POST", headers: { "content-type": contentType }, body });
}

async function call(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Error("서버에 연결할 수 없어요. 잠시 후 다시 시도해 주세요.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = data.error && data.error.code;
    if (SPEECH_ERRORS[code]) throw new Error(SPEECH_ERRORS[code]);
    const reasons = {
      422: "입력을 확인해 주세요", 413: "글이 너무 길어요", 429: "요청이 너무 많아요. 잠시 후 다시 시도해 주세요",
      503: "지금은 서비스를 이용할 수 없어요", 504: "응답이 늦어지고 있어요. 다시 시도해 주세요",
      409: "이 노래는 소리 정보가 없어서 비슷한 노래를 찾을 수 없어요", 404: "노래를 찾지 못했어요",
    };
    const detail = data.error && data.error.message ? ` (${data.error.message})` : "";
    throw new Error((reasons[response.status] || "문제가 생겼어요") + detail);
  }
  return data;
}

const postJSON = (path, body) => post(path, JSON.stringify(body), "application/json");

function renderEmotion(emotion) {
  const list = $("emotion-bars");
  list.replaceChildren();
  for (const [id, korean] of EMOTIONS) {
    const value = emotion.probabilities[id] || 0;
    const item = document.createElement("li");
    item.dataset.emotion = id;
    const name = document.createElement("span");
    name.textContent = korean;
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.setAttribute("role", "meter");
    bar.setAttribute("aria-label", korean);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(Math.round(value * 100)));
    const fill = document.createElement("span");
    fill.style.background = `var(--${id})`;
    bar.append(fill);
    const percent = document.createElement("span");
    percent.className = "value";
    percent.textContent = `${Math.round(value * 100)}%`;
    item.append(name, bar, percent);
    list.append(item);
    requestAnimationFrame(() => { fill.style.width = `${(value * 100).toFixed(1)}%`; });
  }
  $("emotion-title").textContent = `지금 느껴지는 감정: ${KOREAN[emotion.label]}`;
  $("emotion").hidden = false;
}

async function sendFeedback(card, songId, feedback) {
  const ack = card.querySelector(".ack");
  try {
    await postJSON("/v1/feedback", { user_id: userId(), song_id: songId, feedback });
    card.querySelector(".like").setAttribute("aria-pressed", String(feedback === "liked"));
    card.querySelector(".dislike").setAttribute("aria-pressed", String(feedback === "disliked"));
    ack.textContent = feedback === "liked" ? "고마워요! 비슷한 노래를 더 찾아 볼게요" : "알겠어요, 다음엔 빼 둘게요";
  } catch (e) {
    ack.textContent = "";
    showMessage(e.message);
  }
}

function renderSongs(songs) {
  const list = $("songs");
  list.replaceChildren();
  const template = $("song-card");
  for (const pick of songs) {
    const card = template.content.firstElementChild.cloneNode(true);
    const song = pick.song;
    card.dataset.songId = String(song.song_id);
    card.querySelector(".title").textContent = song.title;
    card.querySelector(".match").textContent = `${(Math.floor(pick.similarity * 1000) / 10).toFixed(1)}% 일치`;
    card.querySelector(".artist").textContent = song.artists.join(", ");
    card.querySelector(".year").textContent = song.year ? `${song.year}년` : "연도 미상";
    const genres = song.genres.map((g) => g.name).filter((n) => n && !n.startsWith("'") && n !== "세부장르전체");
    card.querySelector(".genre").textContent = genres[0] || "장르 미상";
    card.querySelector(".highlight").textContent = song.highlight;
    card.querySelector(".reason").textContent = pick.reason;
    showSound(card, song);
    card.querySelector(".like").addEventListener("click", () => sendFeedback(card, song.song_id, "liked"));
    card.querySelector(".dislike").addEventListener("click", () => sendFeedback(card, song.song_id, "disliked"));
    list.append(card);
  }
  $("results").hidden = false;
  if (!songs.length) showMessage("조건에 맞는 노래를 찾지 못했어요.", "info");
}

// Sound (issue 14): a preview player for songs with a clip the gateway may play, instrumentals
// marked, and 이런 느낌 더: the songs that sound like this one (GET /v1/songs/{id}/similar).
function showSound(card, song) {
  const signals = song.signals || [];
  card.querySelector(".instrumental").hidden = !song.instrumental;
  if (song.instrumental) card.querySelector(".highlight").hidden = true;
  if (song.preview) {
    const audio = card.querySelector(".preview");
    audio.src = `/v1/songs/${song.song_id}/preview`;
    audio.setAttribute("aria-label", `${song.title} 미리 듣기`);
    audio.hidden = false;
  }
  const more = card.querySelector(".more-like");
  more.hidden = !signals.includes("sound");
  more.addEventListener("click", () => showSimilar(card, song.song_id));
}

async function showSimilar(card, songId) {
  const more = card.querySelector(".more-like");
  const box = card.querySelector(".similar");
  more.disabled = true;
  try {
    const data = await call(`/v1/songs/${songId}/similar?limit=5`, { method: "GET" });
    const list = box.querySelector(".similar-list");
    list.replaceChildren();
    for (const pick of data.songs) {
      const item = document.createElement("li");
      item.dataset.songId = String(pick.song.song_id);
      const title = document.createElement("strong");
      title.textContent = pick.song.title + (pick.song.instrumental ? " (연주곡)" : "");
      const rest = document.createElement("span");
      rest.textContent = ` — ${pick.song.artists.join(", ")} · ${pick.reason}`;
      item.append(title, rest);
      list.append(item);
    }
    box.hidden = false;
  } catch (e) {
    showMessage(e.message);
  } finally {
    more.disabled = false;
  }
}

function options() {
  return { mode: document.querySelector("input[name=mode]:checked").value, target: $("target").value, limit: 5,
           user_id: userId() };
}

// Runs one request with the submit button showing that the songs are on their way.
async function busy(work) {
  const button = $("submit");
  button.disabled = true;
  button.textContent = "찾는 중…";
  $("message").hidden = true;
  try {
    const data = await work();
    renderEmotion(data.emotion);
    renderSongs(data.songs);
  } catch (e) {
    showMessage(e.message);
  } finally {
    button.disabled = false;
    button.textContent = "노래 찾기";
  }
}

async function recommend(event) {
  event.preventDefault();
  const text = $("mood-text").value.trim();
  if (!text) {
    showMessage("지금 기분을 한 문장으로 적어 주세요.");
    return;
  }
  await busy(() => postJSON("/v1/recommend", { text, ...options() }));
}

// Speaking instead of typing: MediaRecorder in whatever format the browser records (webm/opus in
// Chromium and Firefox, mp4/aac in Safari); the gateway decodes them all. At most 30 s.
const MAX_RECORDING_MS = 29_500;
const recorder = { media: null, chunks: [], started: 0, ticker: 0, limit: 0 };

function showRecording(on) {
  $("recording").hidden = !on;
  $("mic").hidden = on;
  if (on) $("rec-timer").textContent = "0:00";
}

async function startRecording() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
    showMessage("이 브라우저에서는 녹음을 할 수 없어요. 글로 적어 주세요.");
    return;
  }
  $("message").hidden = true;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    const denied = e && (e.name === "NotAllowedError" || e.name === "SecurityError");
    showMessage(denied ? "마이크를 쓸 수 없어요. 브라우저 설정에서 이 사이트의 마이크 권한을 허용해 주세요."
                       : "마이크를 찾지 못했어요. 마이크가 연결되어 있는지 확인해 주세요.");
    return;
  }
  const media = new MediaRecorder(stream);
  recorder.media = media;
  recorder.chunks = [];
  media.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) recorder.chunks.push(e.data); });
  media.addEventListener("stop", () => {
    for (const track of stream.getTracks()) track.stop();
    clearInterval(recorder.ticker);
    clearTimeout(recorder.limit);
    showRecording(false);
    const blob = new Blob(recorder.chunks, { type: media.mimeType || "audio/webm" });
    sendRecording(blob);
  });
  media.start();
  recorder.started = Date.now();
  showRecording(true);
  recorder.ticker = setInterval(() => {
    const seconds = Math.floor((Date.now() - recorder.started) / 1000);
    $("rec-timer").textContent = `0:${String(seconds).padStart(2, "0")}`;
  }, 250);
  recorder.limit = setTimeout(stopRecording, MAX_RECORDING_MS);
  $("mic-stop").focus();
}

function stopRecording() {
  if (recorder.media && recorder.media.state === "recording") recorder.media.stop();
}

async function sendRecording(blob) {
  if (!blob.size) {
    showMessage(SPEECH_ERRORS.no_speech);
    return;
  }
  const query = new URLSearchParams(options());
  $("mic").disabled = true;
  try {
    await busy(async () => {
      const data = await post(`/v1/recommend/speech?${query}`, blob, blob.type || "audio/webm");
      $("mood-text").value = data.transcript.text;  // editable: a correction is one click on 노래 찾기 away
      return data;
    });
  } finally {
    $("mic").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("mood-form").addEventListener("submit", recommend);
  $("mic").addEventListener("click", startRecording);
  $("mic-stop").addEventListener("click", stopRecording);
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => { $("target").disabled = radio.value !== "regulate" || !radio.checked; });
  }
});
