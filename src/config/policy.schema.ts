import { z } from 'zod';

/** Default patterns that flag a session command as privileged (clause 1.6.1). */
export const DEFAULT_PRIVILEGED_COMMANDS = [
  '^sudo\\s+(-i|-s|su\\b|bash|sh\\b|-u\\s*root)',
  '^sudo\\b',
  '^su(\\s+-)?(\\s+root)?\\s*$',
  '^su\\s+-\\s*$',
  '\\bsqlplus\\s+/\\s+as\\s+sysdba',
  '\\b(GRANT|REVOKE)\\b',
  '\\bDROP\\s+(TABLE|DATABASE|USER|SCHEMA)\\b',
  '\\bALTER\\s+USER\\b',
  '\\bCREATE\\s+USER\\b',
];

const groupList = z.array(z.string().min(1)).default([]);

/**
 * The request rules an exception (clause 1.9) may relax. Every other rule
 * (privileged groups, NDA, contract end, departure, …) is never relaxable,
 * so the policy file cannot name it.
 */
export const RELAXABLE_RULES = ['max_validity_days', 'grantable_group'] as const;
export type RelaxableRule = (typeof RELAXABLE_RULES)[number];

/** The policy file (YAML or JSON). Unknown keys are an error. */
export const policySchema = z
  .object({
    maxValidityDays: z.number().int().positive().max(3650).default(30),
    requireNda: z.boolean().default(true),
    usernameTemplate: z
      .string()
      .min(1)
      .refine((t) => t.includes('{vendor}') || t.includes('{person}'), 'must use {vendor} and/or {person}')
      .default('v-{vendor}-{person}'),
    privilegedGroups: z.array(z.string().min(1)).default([]),
    grantableGroups: z.array(z.string().min(1)).optional(),
    sweepIntervalSeconds: z.number().int().positive().default(5),
    reconcileIntervalSeconds: z.number().int().positive().default(60),
    retentionDays: z.number().int().min(0).default(30),
    /** Clause 1.1.2: a person's name, e-mail and phone may be erased this many days after their last request ended (or their registration). */
    retention: z
      .strictObject({
        personDays: z.number().int().min(0).max(36_500).default(365),
      })
      .prefault({}),
    reminderHours: z.number().int().min(0).default(24),
    /** Clauses 1.6.4/1.1.9: who receives the initial password, for how long a pickup link lives, and whether the first logon must change it. */
    credentials: z
      .strictObject({
        /** `requester` (the API.md contract: the requester fetches it once) or `vendor` (a one-time pickup link + code for the vendor person). */
        handover: z.enum(['requester', 'vendor']).default('requester'),
        pickupHours: z.number().int().positive().max(720).default(24),
        /** AD `pwdLastSet=0`, OpenLDAP `pwdReset: TRUE` (enforced where the ppolicy entry has `pwdMustChange: TRUE`). */
        mustChangeAtFirstLogon: z.boolean().default(true),
      })
      .prefault({}),
    /** Clause 1.8: the machine-room register is reviewed at least this often (its oldest unreviewed visit is overdue after it). */
    roomRegister: z
      .strictObject({
        reviewDueDays: z.number().int().positive().max(366).default(31),
      })
      .prefault({}),
    /** Clause 1.9: which rules a request filed with an exception may break, and the validity no exception may exceed. */
    exceptions: z
      .strictObject({
        relaxable: z.array(z.enum(RELAXABLE_RULES)).default([...RELAXABLE_RULES]),
        maxValidityDays: z.number().int().positive().max(3650).default(180),
      })
      .prefault({}),
    /** The audit trail's archive (src/audit/archive/): with ARCHIVE_DIR, every full segment is sealed, written there and dropped from Redis. */
    audit: z
      .strictObject({
        /** Events per sealed segment: Redis keeps at most about this many besides those not yet sealed. */
        segmentEvents: z.number().int().min(10).max(100_000).default(10_000),
        /** How often full segments are sealed (`npx leasehold archive` does it at once). */
        archiveMinutes: z.number().int().positive().max(1440).default(60),
      })
      .prefault({}),
    webhooks: z.array(z.strictObject({ url: z.url(), secret: z.string().min(16), events: z.array(z.string()).optional() })).default([]),
    /** Mail and the watch behind the overdue webhooks (src/notify/). */
    notifications: z
      .strictObject({
        /** Hour of the day (in env TZ) the auditors' digest is sent. */
        digestHour: z.number().int().min(0).max(23).default(8),
        /** How often overdue session and machine-room register reviews are looked for (review.overdue, room.review_overdue webhooks). */
        watchSeconds: z.number().int().positive().max(86_400).default(300),
      })
      .prefault({}),
    sessions: z
      .strictObject({
        privilegedCommands: z.array(z.string().min(1)).default(DEFAULT_PRIVILEGED_COMMANDS),
        idleTimeoutMinutes: z.number().int().positive().default(30),
        failedLoginBurst: z.number().int().positive().default(5),
        reviewDueDays: z.number().int().positive().default(7),
        /** How often the OpenLDAP accesslog is read for vendor binds. */
        accesslogImportSeconds: z.number().int().positive().max(86_400).default(30),
        /** The syslog listener audits one summary per sending address per this period (nothing when nothing arrived). */
        syslogAuditSeconds: z.number().int().positive().max(86_400).default(60),
        /** Reviewed sessions whose last event is older than this are archived out of Redis (with ARCHIVE_DIR); their hash stays in the audit trail. */
        retentionDays: z.number().int().positive().max(36_500).default(90),
      })
      .prefault({}),
    /** Staff sign-in (src/staff/): who may sign in with which role, and how long a session lives. */
    staff: z
      .strictObject({
        /** The attribute a login name is matched against; default uid (OpenLDAP) or sAMAccountName (AD, where a UPN is accepted too). */
        loginAttribute: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name')
          .optional(),
        /** Directory groups (DNs or names) granting each role; membership may be nested at any depth. */
        roles: z
          .strictObject({
            requester: groupList,
            approver: groupList,
            auditor: groupList,
            admin: groupList,
            'exception-approver': groupList,
          })
          .prefault({}),
        idleMinutes: z.number().int().positive().max(1440).default(30),
        absoluteHours: z.number().positive().max(168).default(10),
        /** Roles are read from the directory again at least this often (fractions allowed, e.g. for tests). */
        roleRefreshMinutes: z.number().positive().max(60).default(5),
      })
      .prefault({}),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
