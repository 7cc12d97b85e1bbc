/**
 * Canned first replies and self-help steps for common cases, in the four languages of the desk (written for
 * Stackwatch). A responder picks one in the console, adapts it and sends it sealed like any reply.
 */
import type { Lang } from './model.js';

export interface Canned {
  id: string;
  categories: string[];
  title: Record<Lang, string>;
  body: Record<Lang, string>;
}

export const CANNED: Canned[] = [
  {
    id: 'first_contact',
    categories: ['*'],
    title: { en: 'First reply', fr: 'Première réponse', es: 'Primera respuesta', ar: 'الرد الأول' },
    body: {
      en: 'Hello, we received your report and a member of our team is looking at it now. Before we go further, can you tell us whether it is safe to talk through this page, and whether anyone else has access to your device?',
      fr: 'Bonjour, nous avons reçu votre signalement et un membre de notre équipe l\'examine. Avant d\'aller plus loin, pouvez-vous nous dire s\'il est sûr d\'échanger par cette page et si quelqu\'un d\'autre a accès à votre appareil ?',
      es: 'Hola, recibimos su denuncia y una persona de nuestro equipo la está revisando. Antes de seguir, ¿puede decirnos si es seguro hablar por esta página y si alguien más tiene acceso a su dispositivo?',
      ar: 'مرحبًا، استلمنا بلاغك ويعمل عليه الآن أحد أعضاء فريقنا. قبل المتابعة، هل يمكنك إخبارنا إن كان التواصل عبر هذه الصفحة آمنًا، وهل لدى أي شخص آخر وصول إلى جهازك؟',
    },
  },
  {
    id: 'account_hacked',
    categories: ['account_hacked'],
    title: { en: 'Hacked account: first steps', fr: 'Compte piraté : premières étapes', es: 'Cuenta hackeada: primeros pasos', ar: 'حساب مخترق: الخطوات الأولى' },
    body: {
      en: '1. From a device you trust, change the password of the e-mail account linked to it first, then of the hacked account.\n2. Turn on two-step verification with an app or a security key (not SMS if you can avoid it).\n3. Sign out all other sessions and remove unknown devices and connected apps.\n4. Check the recovery e-mail and phone number have not been changed.\n5. Tell your contacts that messages from the account may not be from you.\nTell us when you have done this, or where you are stuck.',
      fr: '1. Depuis un appareil de confiance, changez d\'abord le mot de passe de la messagerie liée, puis celui du compte piraté.\n2. Activez la validation en deux étapes avec une application ou une clé de sécurité (évitez les SMS si possible).\n3. Déconnectez toutes les autres sessions et retirez les appareils et applications inconnus.\n4. Vérifiez que l\'e-mail et le numéro de récupération n\'ont pas été changés.\n5. Prévenez vos contacts que des messages du compte peuvent ne pas venir de vous.\nDites-nous quand c\'est fait, ou où vous êtes bloqué·e.',
      es: '1. Desde un dispositivo de confianza, cambie primero la contraseña del correo vinculado y luego la de la cuenta hackeada.\n2. Active la verificación en dos pasos con una aplicación o una llave de seguridad (evite el SMS si puede).\n3. Cierre todas las demás sesiones y quite dispositivos y aplicaciones desconocidos.\n4. Compruebe que el correo y el teléfono de recuperación no hayan cambiado.\n5. Avise a sus contactos de que los mensajes de la cuenta pueden no ser suyos.\nCuéntenos cuando lo haya hecho o dónde se atascó.',
      ar: '1. من جهاز تثق به، غيّر أولًا كلمة مرور البريد الإلكتروني المرتبط بالحساب، ثم كلمة مرور الحساب المخترق.\n2. فعّل التحقق بخطوتين عبر تطبيق أو مفتاح أمان (تجنب الرسائل القصيرة إن أمكن).\n3. سجّل الخروج من كل الجلسات الأخرى واحذف الأجهزة والتطبيقات غير المعروفة.\n4. تحقق من أن بريد الاسترداد ورقم الهاتف لم يتغيرا.\n5. نبّه جهات اتصالك إلى أن الرسائل من الحساب قد لا تكون منك.\nأخبرنا عندما تنتهي أو أين توقفت.',
    },
  },
  {
    id: 'mass_reporting',
    categories: ['account_suspended'],
    title: { en: 'Suspended after mass reporting', fr: 'Suspension après signalements massifs', es: 'Suspensión tras denuncias masivas', ar: 'تعليق بعد بلاغات جماعية' },
    body: {
      en: 'We can escalate this to the platform through our partner channel. Please send us, through this page: the account name or link, the date it was suspended or the content removed, any notice the platform sent you (a screenshot is fine), and whether other people around you were targeted at the same time. Do not create a new account for now: it can make the appeal harder.',
      fr: 'Nous pouvons transmettre ce cas à la plateforme par notre canal partenaire. Envoyez-nous par cette page : le nom ou le lien du compte, la date de la suspension ou du retrait, tout avis reçu de la plateforme (une capture suffit), et si d\'autres personnes autour de vous ont été visées en même temps. Ne créez pas de nouveau compte pour l\'instant : cela peut compliquer le recours.',
      es: 'Podemos escalar esto a la plataforma por nuestro canal de socios. Envíenos por esta página: el nombre o enlace de la cuenta, la fecha de la suspensión o eliminación, cualquier aviso de la plataforma (basta una captura) y si otras personas de su entorno fueron atacadas a la vez. No cree una cuenta nueva por ahora: puede dificultar la apelación.',
      ar: 'يمكننا تصعيد هذا إلى المنصة عبر قناة الشراكة لدينا. أرسل لنا عبر هذه الصفحة: اسم الحساب أو رابطه، وتاريخ التعليق أو الحذف، وأي إشعار من المنصة (تكفي لقطة شاشة)، وهل استُهدف أشخاص آخرون حولك في الوقت نفسه. لا تنشئ حسابًا جديدًا الآن فقد يصعّب ذلك الطعن.',
    },
  },
  {
    id: 'doxxing',
    categories: ['doxxing', 'threat_harassment'],
    title: { en: 'Doxxing and threats: stay safe', fr: 'Doxxing et menaces : se protéger', es: 'Doxxing y amenazas: protegerse', ar: 'كشف الهوية والتهديدات: البقاء آمنًا' },
    body: {
      en: 'If you are in physical danger, move to a safe place first and tell someone you trust. Keep evidence: screenshots with the date and link of each post, without replying to the attackers. Make your accounts private for now and check what is visible about your address, workplace and family. We can ask platforms to remove posts that publish your personal information; send us the links when you can.',
      fr: 'Si vous êtes en danger physique, mettez-vous d\'abord à l\'abri et prévenez une personne de confiance. Gardez des preuves : captures avec la date et le lien de chaque publication, sans répondre aux attaquants. Passez vos comptes en privé pour l\'instant et vérifiez ce qui est visible sur votre adresse, votre travail et votre famille. Nous pouvons demander aux plateformes de retirer les publications qui exposent vos informations ; envoyez-nous les liens quand vous le pouvez.',
      es: 'Si está en peligro físico, vaya primero a un lugar seguro y avise a alguien de confianza. Guarde pruebas: capturas con la fecha y el enlace de cada publicación, sin responder a quienes le atacan. Ponga sus cuentas en privado por ahora y revise qué se ve de su domicilio, trabajo y familia. Podemos pedir a las plataformas que retiren publicaciones con sus datos personales; envíenos los enlaces cuando pueda.',
      ar: 'إذا كنت في خطر جسدي، فانتقل أولًا إلى مكان آمن وأخبر شخصًا تثق به. احتفظ بالأدلة: لقطات شاشة بتاريخ ورابط كل منشور، دون الرد على المهاجمين. اجعل حساباتك خاصة الآن وتحقق مما هو ظاهر عن عنوانك وعملك وعائلتك. يمكننا أن نطلب من المنصات حذف المنشورات التي تكشف معلوماتك الشخصية؛ أرسل لنا الروابط عندما تستطيع.',
    },
  },
  {
    id: 'spyware',
    categories: ['spyware_surveillance', 'device_seized_lost'],
    title: { en: 'Suspected spyware', fr: 'Soupçon de logiciel espion', es: 'Sospecha de software espía', ar: 'اشتباه في برنامج تجسس' },
    body: {
      en: 'Please do not reset or wipe the phone yet: it may hold the evidence we need to check it. Until we know more, use another device for sensitive conversations and keep the suspected phone away from them. Tell us the phone model, the operating system version and why you suspect it (messages, links, unusual behaviour). We will propose a safe way to run a forensic check.',
      fr: 'Ne réinitialisez pas et n\'effacez pas le téléphone pour l\'instant : il peut contenir les traces nécessaires à l\'analyse. En attendant, utilisez un autre appareil pour les conversations sensibles et éloignez-en le téléphone suspect. Indiquez-nous le modèle, la version du système et ce qui vous fait soupçonner (messages, liens, comportement inhabituel). Nous vous proposerons une façon sûre de faire une analyse.',
      es: 'No reinicie ni borre el teléfono todavía: puede contener la evidencia que necesitamos revisar. Mientras tanto, use otro dispositivo para conversaciones sensibles y mantenga lejos el teléfono sospechoso. Díganos el modelo, la versión del sistema y por qué sospecha (mensajes, enlaces, comportamiento extraño). Le propondremos una forma segura de hacer un análisis forense.',
      ar: 'لا تُعِد ضبط الهاتف ولا تمسحه الآن: فقد يحتوي على الأدلة التي نحتاجها لفحصه. إلى أن نعرف أكثر، استخدم جهازًا آخر للمحادثات الحساسة وأبعد الهاتف المشتبه به عنها. أخبرنا بطراز الهاتف وإصدار النظام وسبب اشتباهك (رسائل، روابط، سلوك غير معتاد). سنقترح طريقة آمنة لإجراء فحص جنائي.',
    },
  },
  {
    id: 'internet_cut',
    categories: ['internet_cut', 'website_attacked_blocked'],
    title: { en: 'Shutdown or blocking', fr: 'Coupure ou blocage', es: 'Corte o bloqueo', ar: 'قطع أو حجب' },
    body: {
      en: 'Thank you: reports like yours help document shutdowns and blocking. If you can, tell us your network operator, the town, when it started and what stopped working (everything, mobile data only, some sites or apps). Tor Browser with bridges, or a trusted VPN installed before a shutdown, may help you reach blocked sites; keep a copy of important files offline.',
      fr: 'Merci : des signalements comme le vôtre aident à documenter coupures et blocages. Si possible, indiquez votre opérateur, la ville, le début et ce qui ne marche plus (tout, seulement les données mobiles, certains sites ou applications). Tor Browser avec des ponts, ou un VPN de confiance installé avant une coupure, peut aider à atteindre les sites bloqués ; gardez une copie hors ligne des fichiers importants.',
      es: 'Gracias: denuncias como la suya ayudan a documentar cortes y bloqueos. Si puede, díganos su operador, la ciudad, cuándo empezó y qué dejó de funcionar (todo, solo datos móviles, algunos sitios o aplicaciones). Tor Browser con puentes, o una VPN de confianza instalada antes de un corte, puede ayudarle a llegar a sitios bloqueados; guarde una copia sin conexión de los archivos importantes.',
      ar: 'شكرًا لك: تساعد بلاغات مثل بلاغك في توثيق قطع الإنترنت والحجب. إن أمكن، أخبرنا بمشغل الشبكة والمدينة ومتى بدأ ذلك وما الذي توقف (كل شيء، بيانات الهاتف فقط، بعض المواقع أو التطبيقات). قد يساعدك متصفح Tor مع الجسور، أو شبكة VPN موثوقة مثبتة قبل القطع، على الوصول إلى المواقع المحجوبة؛ واحتفظ بنسخة غير متصلة من ملفاتك المهمة.',
    },
  },
];
