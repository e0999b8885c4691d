/** What a poll saw last, for the time-out message. */
function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Polls until `check` returns a truthy value or the time is up. A check that
 * throws counts as "not yet". On time-out the error says what was seen: the
 * last error a check threw (with the attempt it came from, and as `cause`, so
 * its stack is printed too) and what the last attempt returned, so a failure
 * reads "the group still listed X", not just "condition not met".
 */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: { error: unknown; attempt: number } | undefined;
  let lastValue: { value: unknown } | undefined;
  for (;;) {
    attempts++;
    try {
      const v = await check();
      if (v) return v;
      lastValue = { value: v };
    } catch (error) {
      lastError = { error, attempt: attempts };
      lastValue = undefined;
    }
    if (Date.now() > deadline) {
      const seen = [
        ...(lastValue ? [`the last attempt returned ${describeValue(lastValue.value)}`] : []),
        ...(lastError ? [`the last error (attempt ${lastError.attempt}) was ${describeValue(lastError.error)}`] : []),
      ];
      throw new Error(
        `condition not met within ${timeoutMs} ms (${attempts} attempts): ${seen.join('; ')}`,
        lastError ? { cause: lastError.error } : undefined,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
