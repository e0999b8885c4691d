import { auditRoutes } from './routes/audit.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { consoleRoutes } from './routes/console.routes.js';
import { handoverRoutes } from './routes/handover.routes.js';
import { evidenceRoutes } from './routes/evidence.routes.js';
import { lookupRoutes } from './routes/lookup.routes.js';
import { personExportRoutes } from './routes/person-export.routes.js';
import { requestRoutes } from './routes/request.routes.js';
import { roomVisitRoutes } from './routes/room-visit.routes.js';
import { sessionRoutes } from './routes/session.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { tokenRoutes } from './routes/token.routes.js';
import { vendorRoutes } from './routes/vendor.routes.js';
import type { RouteSpec } from './route.js';

/** What each route file needs, by file. */
export interface ApiRouteDeps {
  auth: Parameters<typeof authRoutes>[0];
  console: Parameters<typeof consoleRoutes>[0];
  system: Parameters<typeof systemRoutes>[0];
  vendors: Parameters<typeof vendorRoutes>[0];
  personExport: Parameters<typeof personExportRoutes>[0];
  evidence: Parameters<typeof evidenceRoutes>[0];
  requests: Parameters<typeof requestRoutes>[0];
  handover: Parameters<typeof handoverRoutes>[0];
  sessions: Parameters<typeof sessionRoutes>[0];
  audit: Parameters<typeof auditRoutes>[0];
  tokens: Parameters<typeof tokenRoutes>[0];
  roomVisits: Parameters<typeof roomVisitRoutes>[0];
  lookups: Parameters<typeof lookupRoutes>[0];
}

/**
 * The whole route table, in one place: start-service.ts serves it and
 * tools/openapi/export-openapi.ts documents it (web/src/api/openapi.json,
 * from which the console's client is typed), so the two cannot differ.
 * A new route file is added here.
 */
export function apiRoutes(deps: ApiRouteDeps): RouteSpec[] {
  return [
    ...authRoutes(deps.auth),
    ...consoleRoutes(deps.console),
    ...systemRoutes(deps.system),
    ...vendorRoutes(deps.vendors),
    ...personExportRoutes(deps.personExport),
    ...evidenceRoutes(deps.evidence),
    ...lookupRoutes(deps.lookups),
    ...requestRoutes(deps.requests),
    ...handoverRoutes(deps.handover),
    ...sessionRoutes(deps.sessions),
    ...auditRoutes(deps.audit),
    ...tokenRoutes(deps.tokens),
    ...roomVisitRoutes(deps.roomVisits),
  ];
}
