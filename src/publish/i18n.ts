/** The public site's words in its four languages. Arabic runs right to left. */
export const LANGS = ['en', 'fr', 'es', 'ar'] as const;
export type Lang = (typeof LANGS)[number];
export const isLang = (s: string): s is Lang => (LANGS as readonly string[]).includes(s);
export const dirOf = (l: Lang) => (l === 'ar' ? 'rtl' : 'ltr');

const en = {
  langName: 'English',
  site: 'Stackwatch public record',
  tagline: 'Internet shutdowns, blocking, takedowns and repressive laws — documented and sourced.',
  home: 'Home', incidents: 'Incidents', countries: 'Countries', laws: 'Laws', methodology: 'Methodology', reports: 'Reports', data: 'Open data', alerts: 'Alerts',
  ongoing: 'Ongoing shutdowns', latest: 'Latest verified incidents', map: 'Incidents per country', none: 'None.',
  country: 'Country', type: 'Type', severity: 'Severity', from: 'From', to: 'To', search: 'Search', filter: 'Filter', any: 'Any',
  start: 'Start', end: 'End', status: 'Status', ongoingEnd: 'ongoing or not recorded', page: 'Page', next: 'Next', prev: 'Previous', results: 'results',
  summary: 'Summary', details: 'Details', sources: 'Sources', evidence: 'Evidence', timeline: 'Timeline', networks: 'Networks', services: 'Services',
  orderedBy: 'Ordered by', publishedBy: 'Published by', area: 'Area', share: 'Link to this page',
  demands: 'Government removal requests (Google)', requests: 'requests', items: 'items', shareRemoved: 'share removed', interventions: 'Infrastructure interventions', yearCol: 'Year', providers: 'providers', countCol: 'Number',
  overTime: 'Incidents over time', shutdownDays: 'Shutdown days', blockedSites: 'Blocked sites seen by measurements', outageEvents: 'Outage events',
  measurements: 'measurements', networksN: 'networks', embed: 'Embed on your site', report: 'Country report', annual: 'Annual report',
  notFound: 'Not found', notFoundText: 'There is no public page at this address.', badRequest: 'Invalid request', tooMany: 'Too many requests',
  licence: 'Licence', attribution: 'Attribution', source: 'Source', feed: 'Atom feed', subscribe: 'Subscribe', email: 'E-mail address',
  lawStatus: 'Status', rights: 'Rights affected', articles: 'Articles of concern', linked: 'Linked incidents', total: 'Total',
  query: 'query', reportQueries: 'Each figure links to the public query that produced it.',
  shutdowns: 'shutdowns', inCountries: 'in', countriesWord: 'countries', byCountry: 'By country', byType: 'By type', byScope: 'By scope',
  byDuration: 'By duration', causes: 'Stated and actual causes', servicesAffected: 'Affected services', events: 'Events', monthly: 'Month by month',
  national: 'National', subnational: 'Regional or local', unknown: 'Unknown',
};
export type Dict = typeof en;

const fr: Dict = {
  langName: 'Français', site: 'Registre public Stackwatch',
  tagline: 'Coupures d’internet, blocages, retraits et lois répressives — documentés et sourcés.',
  home: 'Accueil', incidents: 'Incidents', countries: 'Pays', laws: 'Lois', methodology: 'Méthodologie', reports: 'Rapports', data: 'Données ouvertes', alerts: 'Alertes',
  ongoing: 'Coupures en cours', latest: 'Derniers incidents vérifiés', map: 'Incidents par pays', none: 'Aucun.',
  country: 'Pays', type: 'Type', severity: 'Gravité', from: 'Du', to: 'Au', search: 'Rechercher', filter: 'Filtrer', any: 'Tous',
  start: 'Début', end: 'Fin', status: 'Statut', ongoingEnd: 'en cours ou non renseignée', page: 'Page', next: 'Suivant', prev: 'Précédent', results: 'résultats',
  summary: 'Résumé', details: 'Détails', sources: 'Sources', evidence: 'Preuves', timeline: 'Chronologie', networks: 'Réseaux', services: 'Services',
  orderedBy: 'Ordonné par', publishedBy: 'Publié par', area: 'Zone', share: 'Lien vers cette page',
  demands: 'Demandes de retrait des gouvernements (Google)', requests: 'demandes', items: 'éléments', shareRemoved: 'part retirée', interventions: 'Interventions sur l\'infrastructure', yearCol: 'Année', providers: 'fournisseurs', countCol: 'Nombre',
  overTime: 'Incidents dans le temps', shutdownDays: 'Jours de coupure', blockedSites: 'Sites bloqués selon les mesures', outageEvents: 'Pannes détectées',
  measurements: 'mesures', networksN: 'réseaux', embed: 'Intégrer sur votre site', report: 'Rapport pays', annual: 'Rapport annuel',
  notFound: 'Introuvable', notFoundText: 'Aucune page publique à cette adresse.', badRequest: 'Requête invalide', tooMany: 'Trop de requêtes',
  licence: 'Licence', attribution: 'Attribution', source: 'Source', feed: 'Flux Atom', subscribe: 'S’abonner', email: 'Adresse e-mail',
  lawStatus: 'Statut', rights: 'Droits touchés', articles: 'Articles préoccupants', linked: 'Incidents liés', total: 'Total',
  query: 'requête', reportQueries: 'Chaque chiffre renvoie à la requête publique qui l’a produit.',
  shutdowns: 'coupures', inCountries: 'dans', countriesWord: 'pays', byCountry: 'Par pays', byType: 'Par type', byScope: 'Par étendue',
  byDuration: 'Par durée', causes: 'Causes déclarées et réelles', servicesAffected: 'Services touchés', events: 'Événements', monthly: 'Mois par mois',
  national: 'Nationale', subnational: 'Régionale ou locale', unknown: 'Inconnu',
};

const es: Dict = {
  langName: 'Español', site: 'Registro público de Stackwatch',
  tagline: 'Cortes de internet, bloqueos, retiradas y leyes represivas — documentados y con fuentes.',
  home: 'Inicio', incidents: 'Incidentes', countries: 'Países', laws: 'Leyes', methodology: 'Metodología', reports: 'Informes', data: 'Datos abiertos', alerts: 'Alertas',
  ongoing: 'Cortes en curso', latest: 'Últimos incidentes verificados', map: 'Incidentes por país', none: 'Ninguno.',
  country: 'País', type: 'Tipo', severity: 'Gravedad', from: 'Desde', to: 'Hasta', search: 'Buscar', filter: 'Filtrar', any: 'Todos',
  start: 'Inicio', end: 'Fin', status: 'Estado', ongoingEnd: 'en curso o no registrado', page: 'Página', next: 'Siguiente', prev: 'Anterior', results: 'resultados',
  summary: 'Resumen', details: 'Detalles', sources: 'Fuentes', evidence: 'Pruebas', timeline: 'Cronología', networks: 'Redes', services: 'Servicios',
  orderedBy: 'Ordenado por', publishedBy: 'Publicado por', area: 'Zona', share: 'Enlace a esta página',
  demands: 'Solicitudes gubernamentales de retirada (Google)', requests: 'solicitudes', items: 'elementos', shareRemoved: 'proporción retirada', interventions: 'Intervenciones en la infraestructura', yearCol: 'Año', providers: 'proveedores', countCol: 'Número',
  overTime: 'Incidentes en el tiempo', shutdownDays: 'Días de corte', blockedSites: 'Sitios bloqueados según las mediciones', outageEvents: 'Caídas detectadas',
  measurements: 'mediciones', networksN: 'redes', embed: 'Insertar en su sitio', report: 'Informe del país', annual: 'Informe anual',
  notFound: 'No encontrado', notFoundText: 'No hay ninguna página pública en esta dirección.', badRequest: 'Solicitud no válida', tooMany: 'Demasiadas solicitudes',
  licence: 'Licencia', attribution: 'Atribución', source: 'Fuente', feed: 'Canal Atom', subscribe: 'Suscribirse', email: 'Correo electrónico',
  lawStatus: 'Estado', rights: 'Derechos afectados', articles: 'Artículos preocupantes', linked: 'Incidentes vinculados', total: 'Total',
  query: 'consulta', reportQueries: 'Cada cifra enlaza con la consulta pública que la produjo.',
  shutdowns: 'cortes', inCountries: 'en', countriesWord: 'países', byCountry: 'Por país', byType: 'Por tipo', byScope: 'Por alcance',
  byDuration: 'Por duración', causes: 'Causas declaradas y reales', servicesAffected: 'Servicios afectados', events: 'Eventos', monthly: 'Mes a mes',
  national: 'Nacional', subnational: 'Regional o local', unknown: 'Desconocido',
};

const ar: Dict = {
  langName: 'العربية', site: 'السجل العام لـ Stackwatch',
  tagline: 'قطع الإنترنت والحجب وإزالة المحتوى والقوانين القمعية — موثقة ومسندة إلى مصادر.',
  home: 'الرئيسية', incidents: 'الحوادث', countries: 'البلدان', laws: 'القوانين', methodology: 'المنهجية', reports: 'التقارير', data: 'البيانات المفتوحة', alerts: 'التنبيهات',
  ongoing: 'عمليات قطع جارية', latest: 'أحدث الحوادث المؤكدة', map: 'الحوادث حسب البلد', none: 'لا شيء.',
  country: 'البلد', type: 'النوع', severity: 'الخطورة', from: 'من', to: 'إلى', search: 'بحث', filter: 'تصفية', any: 'الكل',
  start: 'البداية', end: 'النهاية', status: 'الحالة', ongoingEnd: 'جارٍ أو غير مسجل', page: 'الصفحة', next: 'التالي', prev: 'السابق', results: 'نتيجة',
  summary: 'ملخص', details: 'تفاصيل', sources: 'المصادر', evidence: 'الأدلة', timeline: 'التسلسل الزمني', networks: 'الشبكات', services: 'الخدمات',
  orderedBy: 'بأمر من', publishedBy: 'نشره', area: 'المنطقة', share: 'رابط هذه الصفحة',
  demands: 'طلبات الحكومات لإزالة المحتوى (Google)', requests: 'طلبات', items: 'عناصر', shareRemoved: 'نسبة ما أزيل', interventions: 'تدخلات في البنية التحتية', yearCol: 'السنة', providers: 'مزوّدون', countCol: 'العدد',
  overTime: 'الحوادث عبر الزمن', shutdownDays: 'أيام القطع', blockedSites: 'مواقع محجوبة رصدتها القياسات', outageEvents: 'انقطاعات مرصودة',
  measurements: 'قياسات', networksN: 'شبكات', embed: 'التضمين في موقعك', report: 'تقرير البلد', annual: 'التقرير السنوي',
  notFound: 'غير موجود', notFoundText: 'لا توجد صفحة عامة بهذا العنوان.', badRequest: 'طلب غير صالح', tooMany: 'طلبات كثيرة جدًا',
  licence: 'الترخيص', attribution: 'الإسناد', source: 'المصدر', feed: 'موجز Atom', subscribe: 'اشترك', email: 'البريد الإلكتروني',
  lawStatus: 'الحالة', rights: 'الحقوق المتأثرة', articles: 'مواد مثيرة للقلق', linked: 'حوادث مرتبطة', total: 'المجموع',
  query: 'استعلام', reportQueries: 'كل رقم مرتبط بالاستعلام العام الذي أنتجه.',
  shutdowns: 'عملية قطع', inCountries: 'في', countriesWord: 'بلدًا', byCountry: 'حسب البلد', byType: 'حسب النوع', byScope: 'حسب النطاق',
  byDuration: 'حسب المدة', causes: 'الأسباب المعلنة والفعلية', servicesAffected: 'الخدمات المتأثرة', events: 'الأحداث', monthly: 'شهرًا بشهر',
  national: 'وطني', subnational: 'إقليمي أو محلي', unknown: 'غير معروف',
};

export const DICTS: Record<Lang, Dict> = { en, fr, es, ar };

const TYPE_NAMES: Record<Lang, Record<string, string>> = {
  en: { 'shutdown.full': 'Full shutdown', 'shutdown.regional': 'Regional shutdown', 'shutdown.mobile': 'Mobile shutdown', throttling: 'Throttling', 'blocking.website': 'Website blocking', 'blocking.service': 'Service blocking', 'takedown.content': 'Content takedown', shutdown: 'Shutdowns', blocking: 'Blocking' },
  fr: { 'shutdown.full': 'Coupure totale', 'shutdown.regional': 'Coupure régionale', 'shutdown.mobile': 'Coupure mobile', throttling: 'Ralentissement', 'blocking.website': 'Blocage de site', 'blocking.service': 'Blocage de service', 'takedown.content': 'Retrait de contenu', shutdown: 'Coupures', blocking: 'Blocages' },
  es: { 'shutdown.full': 'Corte total', 'shutdown.regional': 'Corte regional', 'shutdown.mobile': 'Corte móvil', throttling: 'Ralentización', 'blocking.website': 'Bloqueo de sitio', 'blocking.service': 'Bloqueo de servicio', 'takedown.content': 'Retirada de contenido', shutdown: 'Cortes', blocking: 'Bloqueos' },
  ar: { 'shutdown.full': 'قطع كامل', 'shutdown.regional': 'قطع إقليمي', 'shutdown.mobile': 'قطع الإنترنت المحمول', throttling: 'إبطاء', 'blocking.website': 'حجب موقع', 'blocking.service': 'حجب خدمة', 'takedown.content': 'إزالة محتوى', shutdown: 'عمليات القطع', blocking: 'الحجب' },
};
export function typeName(t: string, l: Lang): string {
  return TYPE_NAMES[l][t] ?? TYPE_NAMES.en[t] ?? t.replace(/[._]/g, ' ');
}
