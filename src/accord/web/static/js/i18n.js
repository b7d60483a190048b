// The page's own words in both languages. Content (titles, names, date labels) comes from the API
// in the language asked for with `locale:`; only the interface text lives here.

export const LANGUAGES = ["en", "zh-Hant"];

// <html lang> value -> the API's Locale enum.
export const API_LOCALE = { en: "EN", "zh-Hant": "ZH_TW" };

const EN = {
  documentTitle: "International cooperation timeline · accord",
  skip: "Skip to the timeline",
  title: "International cooperation timeline",
  lede: "Milestones of international customs cooperation, with the partners, agreements and exhibits behind them.",
  language: "Language",
  filtersHeading: "Find events",
  searchLabel: "Search events",
  searchHint: "English or Chinese, e.g. APEC, AEO, 海關",
  partnerLabel: "Partner",
  allPartners: "All partners",
  clear: "Clear",
  timelineHeading: "Timeline",
  loading: "Loading…",
  count: (n) => (n === 1 ? "1 event" : `${n} events`),
  countOf: (shown, total) => `Showing ${shown} of ${total} events`,
  empty: "No events match. Try another word or partner.",
  failed: (message) => `The timeline could not be loaded: ${message}`,
  retry: "Try again",
  loadMore: "Show more events",
  year: (year) => String(year),
  milestone: "Milestone",
  new: "New",
  open: "Details",
  newMilestone: (title, date) => `New milestone: ${title} (${date})`,
  liveConnecting: "Connecting to live updates…",
  liveOn: "Live: new milestones appear as they are published",
  liveOff: "Live updates paused, reconnecting…",
  close: "Close",
  summary: "Summary",
  kind: "Kind",
  places: "Places",
  tags: "Tags",
  partners: "Partners",
  agreements: "Agreements",
  exhibits: "Exhibits",
  none: "None recorded",
  signed: (label) => `Signed ${label}`,
  signedUnknown: "Signing date not recorded",
  parties: "Parties",
  origin: "From",
  image: "Image",
  credit: (name) => `Image: ${name}`,
  notFound: "This event is not (or no longer) published.",
  followFeeds: "Follow the milestones:",
  allFeeds: "all feeds (OPML)",
  explore: "Explore the API in GraphiQL",
  eventKind: {
    CONFERENCE: "Conference",
    MEMBERSHIP: "Membership",
    AGREEMENT_SIGNING: "Agreement signing",
    WORKSHOP: "Workshop",
    STUDY_MISSION: "Study mission",
    PARTICIPATION: "Participation",
    NOTIFICATION: "Notification",
    OTHER: "Other",
  },
  agreementKind: {
    MUTUAL_ASSISTANCE: "Mutual assistance",
    MUTUAL_RECOGNITION: "Mutual recognition",
    COOPERATION_ARRANGEMENT: "Cooperation arrangement",
    ACCESSION: "Accession",
    ACCEPTANCE: "Acceptance",
    OTHER: "Other",
  },
  exhibitKind: {
    UNIFORM: "Uniform",
    DOCUMENT: "Document",
    ARTIFACT: "Artifact",
    PHOTOGRAPH: "Photograph",
    OTHER: "Other",
  },
};

const ZH = {
  documentTitle: "國際合作時間軸 · accord",
  skip: "跳至時間軸",
  title: "國際合作時間軸",
  lede: "國際關務合作的里程碑，以及相關的合作夥伴、協定與展品。",
  language: "語言",
  filtersHeading: "查詢事件",
  searchLabel: "搜尋事件",
  searchHint: "可用中文或英文，例如：海關、APEC、AEO",
  partnerLabel: "合作夥伴",
  allPartners: "所有合作夥伴",
  clear: "清除",
  timelineHeading: "時間軸",
  loading: "載入中…",
  count: (n) => `共 ${n} 項事件`,
  countOf: (shown, total) => `顯示 ${total} 項中的 ${shown} 項`,
  empty: "沒有符合的事件，請換個關鍵字或合作夥伴。",
  failed: (message) => `無法載入時間軸：${message}`,
  retry: "重試",
  loadMore: "顯示更多事件",
  year: (year) => `${year}年`,
  milestone: "里程碑",
  new: "最新",
  open: "詳細資料",
  newMilestone: (title, date) => `新里程碑：${title}（${date}）`,
  liveConnecting: "正在連線即時更新…",
  liveOn: "即時更新：新里程碑發布後立即顯示",
  liveOff: "即時更新中斷，重新連線中…",
  close: "關閉",
  summary: "摘要",
  kind: "類別",
  places: "地點",
  tags: "標籤",
  partners: "合作夥伴",
  agreements: "協定",
  exhibits: "展品",
  none: "無紀錄",
  signed: (label) => `簽署於${label}`,
  signedUnknown: "簽署日期未記載",
  parties: "締約方",
  origin: "來源",
  image: "圖片",
  credit: (name) => `圖片：${name}`,
  notFound: "此事件未發布或已下架。",
  followFeeds: "訂閱里程碑：",
  allFeeds: "全部訂閱源（OPML）",
  explore: "在 GraphiQL 中探索 API",
  eventKind: {
    CONFERENCE: "會議",
    MEMBERSHIP: "成為會員",
    AGREEMENT_SIGNING: "協定簽署",
    WORKSHOP: "研討會",
    STUDY_MISSION: "考察",
    PARTICIPATION: "參與",
    NOTIFICATION: "通知",
    OTHER: "其他",
  },
  agreementKind: {
    MUTUAL_ASSISTANCE: "相互協助",
    MUTUAL_RECOGNITION: "相互承認",
    COOPERATION_ARRANGEMENT: "合作協議",
    ACCESSION: "加入",
    ACCEPTANCE: "接受",
    OTHER: "其他",
  },
  exhibitKind: {
    UNIFORM: "制服",
    DOCUMENT: "文件",
    ARTIFACT: "文物",
    PHOTOGRAPH: "照片",
    OTHER: "其他",
  },
};

export const STRINGS = { en: EN, "zh-Hant": ZH };

// The page's address names its language (?lang=en, ?lang=zh-TW), so a shared link keeps it.
export const URL_LANGUAGE = { en: "en", "zh-Hant": "zh-TW" };

/** The language a ?lang= value names (any letter case; zh-TW, zh-Hant, zh), or null. */
export function languageFromUrl(value) {
  const lower = (value ?? "").trim().toLowerCase();
  if (lower === "zh-tw" || lower === "zh-hant" || lower === "zh") return "zh-Hant";
  return lower === "en" ? "en" : null;
}

/** The language to start in: the address's, else the one chosen before, else the browser's
 * (zh-TW, zh-Hant, zh, zh-HK). */
export function initialLanguage(stored, preferred, fromUrl = null) {
  if (LANGUAGES.includes(fromUrl)) return fromUrl;
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) {
      if (lower === "zh-cn" || lower.startsWith("zh-hans") || lower === "zh-sg") continue;
      return "zh-Hant";
    }
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}
