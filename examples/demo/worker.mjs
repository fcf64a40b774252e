// The demo's background worker: takes a "job" every few seconds and reports it.
let jobs = 0;
const timer = setInterval(
  () => {
    jobs++;
    console.log(`processed job ${jobs}`);
  },
  Number(process.env.JOB_EVERY_MS ?? 3000),
);
process.on("SIGTERM", () => {
  clearInterval(timer);
  console.log(`SIGTERM: stopping after ${jobs} jobs`);
  process.exit(0);
});
