import { BerWriter } from 'ldapts';

/** RFC 3062 Password Modify extended operation. */
export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

/**
 * BER-encodes the RFC 3062 request value for `client.exop(PASSWORD_MODIFY_OID, value)`:
 *
 * ```
 * PasswdModifyRequestValue ::= SEQUENCE {
 *   userIdentity [0] OCTET STRING OPTIONAL,
 *   oldPasswd    [1] OCTET STRING OPTIONAL,
 *   newPasswd    [2] OCTET STRING OPTIONAL }
 * ```
 *
 * Always with an explicit new password: ldapts cannot decode the response
 * value that carries a server-generated one. ldapts 8.2 writes a Buffer value
 * as-is under the requestValue tag [1], so the sequence is passed pre-encoded.
 */
export function encodePasswordModifyRequest(userIdentity: string, newPassword: string): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeString(userIdentity, 0x80);
  writer.writeString(newPassword, 0x82);
  writer.endSequence();
  return writer.buffer;
}
