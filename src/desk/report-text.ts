/** Words of the public reporting page in English, French, Spanish and Arabic (written for Stackwatch). */
import type { Lang } from './model.js';

export interface ReportText {
  dir: 'ltr' | 'rtl';
  title: string;
  intro: string;
  safety: string;
  category: string;
  categories: Record<string, string>;
  country: string;
  countryHint: string;
  urgency: string;
  urgencies: Record<string, string>;
  safeNow: string;
  safe: Record<string, string>;
  contactPref: string;
  contactPrefs: Record<string, string>;
  contact: string;
  contactHint: string;
  narrative: string;
  narrativeHint: string;
  files: string;
  filesHint: string;
  send: string;
  sealing: string;
  receiptTitle: string;
  receiptOnce: string;
  receiptKeep: string;
  stripped: string;
  returnTitle: string;
  returnIntro: string;
  receipt: string;
  open: string;
  thread: string;
  you: string;
  desk: string;
  file: string;
  addTitle: string;
  message: string;
  add: string;
  added: string;
  deleteTitle: string;
  deleteText: string;
  deleteConfirm: string;
  deleted: string;
  /** Deletion asked while the case is under a legal hold: what happens, said honestly. */
  deletedHeld: string;
  /** Shown while the browser opens the case (JavaScript path) or does the proof of work. */
  opening: string;
  working: string;
  status: Record<string, string>;
  back: string;
  errors: Record<string, string>;
  noJs: string;
}

const en: ReportText = {
  dir: 'ltr',
  title: 'Report a digital attack',
  intro: 'Tell us what is happening. A person from the help desk answers, usually within two hours. You do not need an account, an e-mail address or a phone number.',
  safety: 'Your report is encrypted before it is stored; only the desk\'s responders can read it. We keep no IP address or browser details. If someone may be watching this device, use Tor Browser or another device.',
  category: 'What happened?',
  categories: {
    threat_harassment: 'Threats or harassment',
    doxxing: 'My personal information was published (doxxing)',
    account_hacked: 'An account was hacked',
    account_suspended: 'An account was suspended or content removed (also after false mass reporting)',
    device_seized_lost: 'A device was seized or lost',
    spyware_surveillance: 'I suspect spyware or surveillance',
    website_attacked_blocked: 'A website was attacked or blocked',
    internet_cut: 'The internet was cut or slowed down',
    other: 'Something else',
  },
  country: 'Country (optional)',
  countryHint: 'Two-letter code, e.g. CM. Leave empty if you prefer.',
  urgency: 'How urgent is it?',
  urgencies: { immediate: 'Urgent: today', days: 'In the next days', weeks: 'It can wait a few weeks' },
  safeNow: 'Are you safe right now?',
  safe: { yes: 'Yes', no: 'No', unsure: 'I am not sure' },
  contactPref: 'How should we reach you?',
  contactPrefs: { page_only: 'Only through this page (with my receipt)', contact_given: 'Also through the safe contact I give below' },
  contact: 'Safe contact (optional)',
  contactHint: 'Signal number, e-mail or other channel that is safe for you. It is encrypted like the rest.',
  narrative: 'What is happening?',
  narrativeHint: 'Who is affected, since when, what you have seen. Do not include passwords.',
  files: 'Files or screenshots (optional)',
  filesHint: 'Up to 5 files, 5 MB each. Location and camera data are removed from JPEG and PNG images; other documents may still carry their own details.',
  send: 'Send securely',
  sealing: 'Encrypting in your browser…',
  receiptTitle: 'Your report was received',
  receiptOnce: 'This is your receipt. It is shown only once and we cannot recover it:',
  receiptKeep: 'Write it down or keep it somewhere safe. With it you can come back to this page to read our answer, reply and add files.',
  stripped: 'Metadata removed from your images:',
  returnTitle: 'Come back with your receipt',
  returnIntro: 'Enter the receipt you were given to read answers and add information.',
  receipt: 'Receipt',
  open: 'Open',
  thread: 'Your case',
  you: 'You',
  desk: 'Help desk',
  file: 'File',
  addTitle: 'Reply or add files',
  message: 'Message',
  add: 'Send',
  added: 'Added to your case.',
  deleteTitle: 'Delete my report',
  deleteText: 'This destroys your report, the messages and files for good. The desk keeps only a note that a case existed.',
  deleteConfirm: 'Yes, delete everything',
  deleted: 'Your report and messages were destroyed.',
  deletedHeld: 'Your request is recorded. Your receipt no longer works, from now on. This case is under a legal hold (a court or a lawyer requires the organisation to preserve it), so the encrypted content is kept — still unreadable on the server — and it will be destroyed as soon as the hold is lifted. The deletion is written in the organisation\'s audit log.',
  opening: 'Opening in your browser…',
  working: 'Preparing a secure send (a few seconds)…',
  status: { new: 'Received, waiting for a responder', in_progress: 'A responder is working on it', waiting: 'Waiting for your answer', resolved: 'Resolved', closed: 'Closed' },
  back: 'Back',
  errors: {
    pow_required: 'The page could not prove it is not an automated flood (the proof-of-work stamp is missing or wrong). Reload the page and send again.',
    file_too_large: 'A file is too large. Each file may be at most 5 MB, all together 12 MB.',
    too_many_files: 'Attach at most 5 files.',
    body_too_large: 'Everything together is too large (at most 12 MB). Send fewer or smaller files.',
    too_fast: 'That was very fast. Please wait a few seconds and send again.',
    form: 'This form has expired or was already sent. Please send again from a fresh page.',
    flood: 'Too many reports are arriving right now. Please wait a few minutes and send again; your text is still in the form below.',
    receipt_unknown: 'This receipt does not open any report. Check it letter by letter.',
    too_many_requests: 'Too many wrong receipts from here. Wait 15 minutes and try again.',
    validation: 'Please check the field:',
    narrative: 'Please describe what is happening.',
    not_ready: 'This desk is not set up to receive reports yet.',
  },
  noJs: 'This page works without JavaScript.',
};

const fr: ReportText = {
  dir: 'ltr',
  title: 'Signaler une attaque numérique',
  intro: 'Dites-nous ce qui se passe. Une personne du service d\'assistance vous répond, en général en moins de deux heures. Pas besoin de compte, d\'adresse e-mail ni de téléphone.',
  safety: 'Votre signalement est chiffré avant d\'être enregistré ; seuls les intervenants du service peuvent le lire. Nous ne gardons ni adresse IP ni détails du navigateur. Si quelqu\'un peut surveiller cet appareil, utilisez Tor Browser ou un autre appareil.',
  category: 'Que s\'est-il passé ?',
  categories: {
    threat_harassment: 'Menaces ou harcèlement',
    doxxing: 'Mes informations personnelles ont été publiées (doxxing)',
    account_hacked: 'Un compte a été piraté',
    account_suspended: 'Un compte a été suspendu ou un contenu retiré (y compris après des signalements massifs abusifs)',
    device_seized_lost: 'Un appareil a été saisi ou perdu',
    spyware_surveillance: 'Je soupçonne un logiciel espion ou une surveillance',
    website_attacked_blocked: 'Un site web a été attaqué ou bloqué',
    internet_cut: 'Internet a été coupé ou ralenti',
    other: 'Autre chose',
  },
  country: 'Pays (facultatif)',
  countryHint: 'Code à deux lettres, p. ex. CM. Laissez vide si vous préférez.',
  urgency: 'Quelle est l\'urgence ?',
  urgencies: { immediate: 'Urgent : aujourd\'hui', days: 'Dans les prochains jours', weeks: 'Cela peut attendre quelques semaines' },
  safeNow: 'Êtes-vous en sécurité en ce moment ?',
  safe: { yes: 'Oui', no: 'Non', unsure: 'Je ne sais pas' },
  contactPref: 'Comment vous joindre ?',
  contactPrefs: { page_only: 'Uniquement par cette page (avec mon reçu)', contact_given: 'Aussi par le contact sûr indiqué ci-dessous' },
  contact: 'Contact sûr (facultatif)',
  contactHint: 'Numéro Signal, e-mail ou autre canal sûr pour vous. Il est chiffré comme le reste.',
  narrative: 'Que se passe-t-il ?',
  narrativeHint: 'Qui est touché, depuis quand, ce que vous avez constaté. N\'indiquez pas de mots de passe.',
  files: 'Fichiers ou captures d\'écran (facultatif)',
  filesHint: 'Jusqu\'à 5 fichiers de 5 Mo. Les données de lieu et d\'appareil photo sont retirées des images JPEG et PNG ; les autres documents peuvent contenir leurs propres informations.',
  send: 'Envoyer en sécurité',
  sealing: 'Chiffrement dans votre navigateur…',
  receiptTitle: 'Votre signalement a été reçu',
  receiptOnce: 'Voici votre reçu. Il n\'est affiché qu\'une fois et nous ne pouvons pas le retrouver :',
  receiptKeep: 'Notez-le ou gardez-le en lieu sûr. Avec lui, vous pouvez revenir sur cette page lire notre réponse, répondre et ajouter des fichiers.',
  stripped: 'Métadonnées retirées de vos images :',
  returnTitle: 'Revenir avec votre reçu',
  returnIntro: 'Saisissez le reçu reçu lors de l\'envoi pour lire les réponses et ajouter des informations.',
  receipt: 'Reçu',
  open: 'Ouvrir',
  thread: 'Votre dossier',
  you: 'Vous',
  desk: 'Service d\'assistance',
  file: 'Fichier',
  addTitle: 'Répondre ou ajouter des fichiers',
  message: 'Message',
  add: 'Envoyer',
  added: 'Ajouté à votre dossier.',
  deleteTitle: 'Supprimer mon signalement',
  deleteText: 'Cela détruit définitivement votre signalement, les messages et les fichiers. Le service garde seulement la trace qu\'un dossier a existé.',
  deleteConfirm: 'Oui, tout supprimer',
  deleted: 'Votre signalement et vos messages ont été détruits.',
  deletedHeld: 'Votre demande est enregistrée. Votre reçu ne fonctionne plus, dès maintenant. Ce dossier fait l\'objet d\'une conservation légale (un tribunal ou un avocat oblige l\'organisation à le conserver) : le contenu chiffré est gardé — toujours illisible sur le serveur — et sera détruit dès la levée de cette conservation. La suppression est inscrite dans le journal d\'audit de l\'organisation.',
  opening: 'Ouverture dans votre navigateur…',
  working: 'Préparation d\'un envoi sûr (quelques secondes)…',
  status: { new: 'Reçu, en attente d\'un intervenant', in_progress: 'Un intervenant s\'en occupe', waiting: 'En attente de votre réponse', resolved: 'Résolu', closed: 'Clos' },
  back: 'Retour',
  errors: {
    pow_required: 'La page n\'a pas pu prouver qu\'il ne s\'agit pas d\'un envoi automatisé (la preuve de travail manque ou est fausse). Rechargez la page et envoyez de nouveau.',
    file_too_large: 'Un fichier est trop volumineux. Chaque fichier peut faire au plus 5 Mo, 12 Mo au total.',
    too_many_files: 'Joignez au plus 5 fichiers.',
    body_too_large: 'L\'ensemble est trop volumineux (12 Mo au plus). Envoyez moins de fichiers ou des fichiers plus petits.',
    too_fast: 'C\'était très rapide. Attendez quelques secondes et renvoyez.',
    form: 'Ce formulaire a expiré ou a déjà été envoyé. Renvoyez depuis une page rechargée.',
    flood: 'Trop de signalements arrivent en ce moment. Attendez quelques minutes et renvoyez ; votre texte est toujours dans le formulaire.',
    receipt_unknown: 'Ce reçu n\'ouvre aucun signalement. Vérifiez-le lettre par lettre.',
    too_many_requests: 'Trop de reçus erronés depuis cet endroit. Attendez 15 minutes et réessayez.',
    validation: 'Vérifiez le champ :',
    narrative: 'Décrivez ce qui se passe.',
    not_ready: 'Ce service n\'est pas encore prêt à recevoir des signalements.',
  },
  noJs: 'Cette page fonctionne sans JavaScript.',
};

const es: ReportText = {
  dir: 'ltr',
  title: 'Denunciar un ataque digital',
  intro: 'Cuéntenos qué está pasando. Una persona de la mesa de ayuda le responde, normalmente en menos de dos horas. No necesita cuenta, correo ni teléfono.',
  safety: 'Su denuncia se cifra antes de guardarse; solo el equipo de respuesta puede leerla. No guardamos direcciones IP ni datos del navegador. Si alguien puede vigilar este dispositivo, use Tor Browser u otro dispositivo.',
  category: '¿Qué ocurrió?',
  categories: {
    threat_harassment: 'Amenazas o acoso',
    doxxing: 'Publicaron mis datos personales (doxxing)',
    account_hacked: 'Hackearon una cuenta',
    account_suspended: 'Suspendieron una cuenta o eliminaron contenido (también tras denuncias masivas falsas)',
    device_seized_lost: 'Un dispositivo fue incautado o se perdió',
    spyware_surveillance: 'Sospecho de software espía o vigilancia',
    website_attacked_blocked: 'Un sitio web fue atacado o bloqueado',
    internet_cut: 'Cortaron o ralentizaron internet',
    other: 'Otra cosa',
  },
  country: 'País (opcional)',
  countryHint: 'Código de dos letras, p. ej. CM. Puede dejarlo vacío.',
  urgency: '¿Qué tan urgente es?',
  urgencies: { immediate: 'Urgente: hoy', days: 'En los próximos días', weeks: 'Puede esperar unas semanas' },
  safeNow: '¿Está a salvo ahora mismo?',
  safe: { yes: 'Sí', no: 'No', unsure: 'No estoy seguro/a' },
  contactPref: '¿Cómo podemos contactarle?',
  contactPrefs: { page_only: 'Solo por esta página (con mi recibo)', contact_given: 'También por el contacto seguro que indico abajo' },
  contact: 'Contacto seguro (opcional)',
  contactHint: 'Número de Signal, correo u otro canal seguro para usted. Se cifra como lo demás.',
  narrative: '¿Qué está pasando?',
  narrativeHint: 'Quién está afectado, desde cuándo, qué ha visto. No incluya contraseñas.',
  files: 'Archivos o capturas de pantalla (opcional)',
  filesHint: 'Hasta 5 archivos de 5 MB. Se eliminan los datos de ubicación y de cámara de las imágenes JPEG y PNG; otros documentos pueden llevar sus propios datos.',
  send: 'Enviar de forma segura',
  sealing: 'Cifrando en su navegador…',
  receiptTitle: 'Recibimos su denuncia',
  receiptOnce: 'Este es su recibo. Se muestra una sola vez y no podemos recuperarlo:',
  receiptKeep: 'Anótelo o guárdelo en un lugar seguro. Con él puede volver a esta página para leer nuestra respuesta, contestar y añadir archivos.',
  stripped: 'Metadatos eliminados de sus imágenes:',
  returnTitle: 'Volver con su recibo',
  returnIntro: 'Escriba el recibo que recibió para leer respuestas y añadir información.',
  receipt: 'Recibo',
  open: 'Abrir',
  thread: 'Su caso',
  you: 'Usted',
  desk: 'Mesa de ayuda',
  file: 'Archivo',
  addTitle: 'Responder o añadir archivos',
  message: 'Mensaje',
  add: 'Enviar',
  added: 'Añadido a su caso.',
  deleteTitle: 'Borrar mi denuncia',
  deleteText: 'Esto destruye para siempre su denuncia, los mensajes y los archivos. La mesa solo guarda constancia de que existió un caso.',
  deleteConfirm: 'Sí, borrar todo',
  deleted: 'Su denuncia y sus mensajes fueron destruidos.',
  deletedHeld: 'Su solicitud quedó registrada. Su recibo deja de funcionar desde ahora. Este caso está bajo una retención legal (un tribunal o un abogado obliga a la organización a conservarlo): el contenido cifrado se guarda — sigue ilegible en el servidor — y se destruirá en cuanto se levante la retención. La eliminación queda escrita en el registro de auditoría de la organización.',
  opening: 'Abriendo en su navegador…',
  working: 'Preparando un envío seguro (unos segundos)…',
  status: { new: 'Recibido, esperando a una persona del equipo', in_progress: 'Alguien del equipo lo está atendiendo', waiting: 'Esperando su respuesta', resolved: 'Resuelto', closed: 'Cerrado' },
  back: 'Volver',
  errors: {
    pow_required: 'La página no pudo probar que no se trata de un envío automático (falta la prueba de trabajo o es incorrecta). Recargue la página y envíe de nuevo.',
    file_too_large: 'Un archivo es demasiado grande. Cada archivo puede tener como máximo 5 MB, 12 MB en total.',
    too_many_files: 'Adjunte como máximo 5 archivos.',
    body_too_large: 'El envío es demasiado grande (máximo 12 MB). Envíe menos archivos o más pequeños.',
    too_fast: 'Fue muy rápido. Espere unos segundos y vuelva a enviar.',
    form: 'Este formulario caducó o ya se envió. Envíe de nuevo desde una página recargada.',
    flood: 'Están llegando demasiadas denuncias ahora. Espere unos minutos y vuelva a enviar; su texto sigue en el formulario.',
    receipt_unknown: 'Este recibo no abre ninguna denuncia. Revíselo letra por letra.',
    too_many_requests: 'Demasiados recibos incorrectos desde aquí. Espere 15 minutos e inténtelo de nuevo.',
    validation: 'Revise el campo:',
    narrative: 'Describa qué está pasando.',
    not_ready: 'Esta mesa de ayuda aún no está lista para recibir denuncias.',
  },
  noJs: 'Esta página funciona sin JavaScript.',
};

const ar: ReportText = {
  dir: 'rtl',
  title: 'الإبلاغ عن هجوم رقمي',
  intro: 'أخبرنا بما يحدث. سيرد عليك شخص من مكتب المساعدة، عادةً خلال ساعتين. لا تحتاج إلى حساب أو بريد إلكتروني أو رقم هاتف.',
  safety: 'يُشفَّر بلاغك قبل حفظه، ولا يستطيع قراءته إلا فريق الاستجابة. لا نحتفظ بعنوان IP ولا بتفاصيل المتصفح. إذا كان أحد قد يراقب هذا الجهاز، فاستخدم متصفح Tor أو جهازًا آخر.',
  category: 'ماذا حدث؟',
  categories: {
    threat_harassment: 'تهديدات أو تحرش',
    doxxing: 'نُشرت معلوماتي الشخصية (كشف الهوية)',
    account_hacked: 'تم اختراق حساب',
    account_suspended: 'تم تعليق حساب أو حذف محتوى (بما في ذلك بعد بلاغات جماعية كاذبة)',
    device_seized_lost: 'تمت مصادرة جهاز أو فقدانه',
    spyware_surveillance: 'أشتبه في برنامج تجسس أو مراقبة',
    website_attacked_blocked: 'تعرض موقع إلكتروني لهجوم أو حجب',
    internet_cut: 'تم قطع الإنترنت أو إبطاؤه',
    other: 'شيء آخر',
  },
  country: 'البلد (اختياري)',
  countryHint: 'رمز من حرفين، مثل CM. يمكنك تركه فارغًا.',
  urgency: 'ما مدى الاستعجال؟',
  urgencies: { immediate: 'عاجل: اليوم', days: 'خلال الأيام القادمة', weeks: 'يمكن أن ينتظر بضعة أسابيع' },
  safeNow: 'هل أنت في أمان الآن؟',
  safe: { yes: 'نعم', no: 'لا', unsure: 'لست متأكدًا' },
  contactPref: 'كيف نتواصل معك؟',
  contactPrefs: { page_only: 'عبر هذه الصفحة فقط (بإيصالي)', contact_given: 'وأيضًا عبر وسيلة التواصل الآمنة أدناه' },
  contact: 'وسيلة تواصل آمنة (اختياري)',
  contactHint: 'رقم Signal أو بريد إلكتروني أو قناة أخرى آمنة لك. تُشفَّر مثل باقي البلاغ.',
  narrative: 'ماذا يحدث؟',
  narrativeHint: 'من المتضرر، ومنذ متى، وما الذي رأيته. لا تكتب كلمات مرور.',
  files: 'ملفات أو لقطات شاشة (اختياري)',
  filesHint: 'حتى 5 ملفات، 5 ميغابايت لكل ملف. تُزال بيانات الموقع والكاميرا من صور JPEG وPNG؛ وقد تحمل المستندات الأخرى بياناتها الخاصة.',
  send: 'إرسال بأمان',
  sealing: 'جارٍ التشفير في متصفحك…',
  receiptTitle: 'تم استلام بلاغك',
  receiptOnce: 'هذا إيصالك. يُعرض مرة واحدة فقط ولا يمكننا استعادته:',
  receiptKeep: 'اكتبه أو احفظه في مكان آمن. به يمكنك العودة إلى هذه الصفحة لقراءة ردنا والرد وإضافة ملفات.',
  stripped: 'البيانات الوصفية التي أُزيلت من صورك:',
  returnTitle: 'العودة بإيصالك',
  returnIntro: 'أدخل الإيصال الذي حصلت عليه لقراءة الردود وإضافة معلومات.',
  receipt: 'الإيصال',
  open: 'فتح',
  thread: 'ملفك',
  you: 'أنت',
  desk: 'مكتب المساعدة',
  file: 'ملف',
  addTitle: 'الرد أو إضافة ملفات',
  message: 'الرسالة',
  add: 'إرسال',
  added: 'أُضيف إلى ملفك.',
  deleteTitle: 'حذف بلاغي',
  deleteText: 'يؤدي هذا إلى إتلاف بلاغك والرسائل والملفات نهائيًا. لا يحتفظ المكتب إلا بملاحظة أن ملفًا كان موجودًا.',
  deleteConfirm: 'نعم، احذف كل شيء',
  deleted: 'تم إتلاف بلاغك ورسائلك.',
  deletedHeld: 'تم تسجيل طلبك. لم يعد إيصالك يعمل ابتداءً من الآن. هذه الحالة خاضعة لحفظ قانوني (محكمة أو محامٍ يُلزم المنظمة بالاحتفاظ بها)، لذا يُحتفظ بالمحتوى المشفّر — ويبقى غير مقروء على الخادم — وسيُتلف فور رفع الحفظ. يُسجَّل طلب الحذف في سجل التدقيق لدى المنظمة.',
  opening: 'جارٍ الفتح في متصفحك…',
  working: 'جارٍ تجهيز إرسال آمن (بضع ثوانٍ)…',
  status: { new: 'تم الاستلام، بانتظار أحد أفراد الفريق', in_progress: 'أحد أفراد الفريق يعمل عليه', waiting: 'بانتظار ردك', resolved: 'تمت المعالجة', closed: 'مغلق' },
  back: 'رجوع',
  errors: {
    pow_required: 'تعذّر على الصفحة إثبات أن الإرسال ليس آليًا (ختم إثبات العمل مفقود أو خاطئ). أعد تحميل الصفحة وأرسل مجددًا.',
    file_too_large: 'أحد الملفات كبير جدًا. الحد الأقصى 5 ميغابايت لكل ملف و12 ميغابايت للمجموع.',
    too_many_files: 'أرفق 5 ملفات على الأكثر.',
    body_too_large: 'المجموع كبير جدًا (12 ميغابايت على الأكثر). أرسل ملفات أقل أو أصغر.',
    too_fast: 'كان ذلك سريعًا جدًا. انتظر بضع ثوانٍ ثم أعد الإرسال.',
    form: 'انتهت صلاحية هذا النموذج أو أُرسل من قبل. أعد الإرسال من صفحة جديدة.',
    flood: 'تصل بلاغات كثيرة جدًا الآن. انتظر بضع دقائق ثم أعد الإرسال؛ نصك ما زال في النموذج.',
    receipt_unknown: 'هذا الإيصال لا يفتح أي بلاغ. تحقق منه حرفًا حرفًا.',
    too_many_requests: 'محاولات كثيرة بإيصالات خاطئة من هنا. انتظر 15 دقيقة ثم حاول مجددًا.',
    validation: 'يرجى التحقق من الحقل:',
    narrative: 'يرجى وصف ما يحدث.',
    not_ready: 'هذا المكتب غير جاهز لاستقبال البلاغات بعد.',
  },
  noJs: 'تعمل هذه الصفحة دون JavaScript.',
};

export const REPORT_TEXT: Record<Lang, ReportText> = { en, fr, es, ar };
