import { useState } from 'preact/hooks';
import { ApiProblem, messageOf } from '../api.ts';

/**
 * A form that sends one request: `submit(work)` is its onSubmit; a failure leaves the API's
 * messages by field (`errors`, shown next to the inputs) and the whole message (`failure`).
 */
export function useApiForm() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const submit = (work: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    try {
      await work();
    } catch (error) {
      if (error instanceof ApiProblem) setErrors(error.byField);
      setFailure(messageOf(error));
    }
  };
  return { errors, failure, submit };
}
