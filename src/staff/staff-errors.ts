import { AppError } from '../errors.js';

/** A sign-in or a cookie-authenticated request refused for a reason the console shows: `vendor_account`, `no_role`, `csrf`. */
export class StaffRefused extends AppError {
  readonly status = 403;
  constructor(
    readonly code: 'vendor_account' | 'no_role' | 'csrf',
    message: string,
  ) {
    super(message);
  }
}

/** Too many failed sign-ins for one login name from one address. */
export class TooManyAttempts extends AppError {
  readonly status = 429;
  readonly code = 'too_many_attempts';
}
