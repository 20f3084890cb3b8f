// The one way the console talks to ternd: the /v1 admin API with the bearer token. Errors come
// back as ApiError carrying the API's own code and message, so the page can show them as is.

const TOKEN_KEY = "tern.adminToken";

/** An error answer from the API ({"error": {"code", "message", ...}}), or a network failure. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.fields = body.fields || [];
    this.field = body.field;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function request(method, path, body) {
  const headers = { Authorization: `Bearer ${token() || ""}` };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, {
      code: "network_error",
      message: `ternd could not be reached (${err.message}); check that it is running`,
    });
  }
  if (response.ok) return response;
  const text = await response.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = null;
  }
  if (!error || typeof error.message !== "string") {
    error = { code: `http_${response.status}`, message: text || response.statusText };
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("tern:unauthorized", { detail: error }));
  }
  throw new ApiError(response.status, error);
}

/** Calls the API and returns the decoded JSON answer. */
export async function call(method, path, body) {
  const response = await request(method, path, body);
  return response.json();
}

/** Fetches a file answer (CSV) and returns its bytes and the name the server gave it. */
export async function download(path) {
  const response = await request("GET", path);
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  return { blob: await response.blob(), filename: match ? match[1] : "download" };
}

const enc = encodeURIComponent;

/** The routes the console uses, named after what they do. */
export const api = {
  plugins: () => call("GET", "/v1/plugins").then((a) => a.plugins),
  providers: () => call("GET", "/v1/providers").then((a) => a.providers),
  createProvider: (body) => call("POST", "/v1/providers", body),
  updateProvider: (id, body) => call("PATCH", `/v1/providers/${enc(id)}`, body),
  testCandidate: (body) => call("POST", "/v1/providers/test", body),
  testStored: (id, body) => call("POST", `/v1/providers/${enc(id)}/test`, body),
  markDefault: (id) => call("POST", `/v1/providers/${enc(id)}/default`),
  archive: (id) => call("POST", `/v1/providers/${enc(id)}/archive`),
  remove: (id) => call("DELETE", `/v1/providers/${enc(id)}`),
  campaigns: (providerId) =>
    call("GET", providerId ? `/v1/campaigns?provider_id=${enc(providerId)}` : "/v1/campaigns")
      .then((a) => a.campaigns),
  createCampaign: (body) => call("POST", "/v1/campaigns", body),
  stats: (id, query) => call("GET", `/v1/providers/${enc(id)}/stats?${new URLSearchParams(query)}`),
  statsCsv: (id, query) =>
    download(`/v1/providers/${enc(id)}/stats?${new URLSearchParams({ ...query, format: "csv" })}`),
};
