// The two ways a call to the Docker engine fails: the engine answered with an error (EngineError),
// or no answer came (EngineConnectionError). Both are worded "verb-ing noun: cause".

/** The engine refused or failed a request, with its own message. */
export class EngineError extends Error {
  override name = "EngineError";

  constructor(
    /** What berth was doing: "creating container berth-web-1". */
    readonly action: string,
    /**
     * The HTTP status of the answer (404 missing, 409 conflict, 500 engine trouble); undefined
     * when the error came inside a stream whose status was 200 (a failed build step).
     */
    readonly statusCode: number | undefined,
    /** The engine's message, as it wrote it. */
    readonly engineMessage: string,
  ) {
    super(`${action}: ${engineMessage}`);
  }
}

/** Why no answer came. */
export type ConnectionFailure = "unreachable" | "lost" | "timeout";

/** No answer from the engine: nothing listens where it should, the connection broke, or it took too long. */
export class EngineConnectionError extends Error {
  override name = "EngineConnectionError";

  constructor(
    readonly action: string,
    /** The engine's address as DOCKER_HOST writes it. */
    readonly where: string,
    readonly failure: ConnectionFailure,
    /** The system error code (ENOENT, ECONNREFUSED, EACCES, ECONNRESET…), when there was one. */
    readonly code: string | undefined,
    /** What happened, without what berth was doing: "the Docker engine is not reachable at …; start …". */
    readonly detail: string,
  ) {
    super(`${action}: ${detail}`);
  }

  /** For a failed connect or send: the error node gave, turned into what to do about it. */
  static fromSocketError(action: string, where: string, error: NodeJS.ErrnoException, answered: boolean) {
    const code = error.code;
    if (answered)
      return new EngineConnectionError(
        action,
        where,
        "lost",
        code,
        `the connection to the Docker engine at ${where} broke (${code ?? error.message})`,
      );
    const cause = code ?? error.message;
    const fix =
      code === "EACCES"
        ? "berth may not use the engine's socket: run berth as a user in the docker group, or as root"
        : "start the engine (dockerd), or set DOCKER_HOST to where it listens " +
          "(unix:///path/to/docker.sock or tcp://host:port)";
    return new EngineConnectionError(
      action,
      where,
      "unreachable",
      code,
      `the Docker engine is not reachable at ${where} (${cause}); ${fix}`,
    );
  }

  static timeout(action: string, where: string, ms: number): EngineConnectionError {
    return new EngineConnectionError(
      action,
      where,
      "timeout",
      undefined,
      `the Docker engine at ${where} did not answer within ${ms} ms`,
    );
  }
}

/** Whether `error` is the engine saying the thing asked about does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof EngineError && error.statusCode === 404;
}

/** Whether `error` is the engine saying the request conflicts with the current state (a name in use…). */
export function isConflict(error: unknown): boolean {
  return error instanceof EngineError && error.statusCode === 409;
}

/**
 * For an engine that is not there (nothing listens at its address, or berth may not use its
 * socket): what happened and what to do, without what berth was doing at the time; else undefined.
 */
export function engineUnreachable(error: unknown): string | undefined {
  return error instanceof EngineConnectionError && error.failure === "unreachable" ? error.detail : undefined;
}
