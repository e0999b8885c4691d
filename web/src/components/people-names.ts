import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useI18n } from '../i18n/i18n';

/**
 * Names of vendor people by id, for lists of requests (which carry only the
 * person's id): one call for the newest 500 people; an id not among them is
 * shown as it is.
 */
export function usePeopleNames(): (id: string) => string {
  const { t } = useI18n();
  const erased = t('people.erased');
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    api.get('/v1/people', { query: { limit: 500 } }).then(
      (page) => live && setNames(new Map(page.items.map((p) => [p.id, p.fullName ?? erased]))),
      // Without names the ids still identify the people.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [erased]);
  return (id) => names.get(id) ?? id;
}
