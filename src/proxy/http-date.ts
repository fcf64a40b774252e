// The Date field of responses berth writes (RFC 9110 §6.6.1): formatted once a second, not once
// a response.
let second = -1;
let text = "";

export function httpDate(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    text = new Date(s * 1000).toUTCString();
  }
  return text;
}
