"""The words of the trainer's reports (progress and team), in Chinese and English.

The reports are read by trainers, not developers: every heading, measure, outcome and reason code
has a label here, and flows and steps are named by their titles and lines (``flow_label``,
``step_label``), never by ids. The same layout as the app's interface catalog (an id, then its
``zh`` and ``en`` text with ``{fields}``), kept beside the reports because the training package
imports nothing of the app; a test checks both languages are complete.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

WORDS: dict[str, dict[str, str]] = {
    # -- progress --------------------------------------------------------------------------------
    "progress.title": {"zh": "学习进度", "en": "Training progress"},
    "progress.title_one": {"zh": "学习进度:{trainee}", "en": "Training progress: {trainee}"},
    "progress.generated": {"zh": "生成于 {when}", "en": "generated {when}"},
    "progress.none": {"zh": "还没有练习记录(callscript study 会记录)。", "en": "No drills have been scored yet (callscript study records them)."},
    "progress.trainee": {"zh": "学员", "en": "Trainee"},
    "progress.situation": {"zh": "情景", "en": "Situation"},
    "progress.attempts": {"zh": "次数", "en": "Attempts"},
    "progress.average": {"zh": "平均分", "en": "Average"},
    "progress.pass_rate": {"zh": "通过率", "en": "Pass rate"},
    "progress.last": {"zh": "最近一次", "en": "Last"},
    "progress.recent": {"zh": "最近得分", "en": "Recent scores"},
    "progress.weakest": {"zh": "最弱的一句", "en": "Weakest line"},
    "progress.drills": {"zh": "练习", "en": "Drills"},
    "progress.quizzes": {"zh": "测验", "en": "Quizzes"},
    "progress.over_time": {"zh": "得分随时间变化(练习与测验分开;虚线为及格线 {mark} 分)",
                           "en": "Scores over time (drills and quizzes apart; dashed: the pass mark, {mark})"},
    "progress.weak_heading": {"zh": "最弱的句子(最近 {n} 次的平均分)", "en": "Weakest lines first (average of the last {n} attempts)"},
    "progress.line": {"zh": "话术", "en": "Line"},
    "progress.recent_avg": {"zh": "最近平均", "en": "Recent average"},
    "progress.recent_pass": {"zh": "最近通过率", "en": "Recent pass rate"},
    "progress.best": {"zh": "最好", "en": "Best"},
    "progress.common_reason": {"zh": "最常见的问题", "en": "Most common fault"},
    "progress.mode": {"zh": "方式", "en": "Mode"},
    "progress.date": {"zh": "日期", "en": "Date"},
    "progress.score": {"zh": "得分", "en": "Score"},
    # -- team report -------------------------------------------------------------------------------
    "report.title": {"zh": "团队报告", "en": "Team report"},
    "report.counted": {"zh": "{files} 个日志文件中 {agents} 位客服的 {calls} 通电话", "en": "{calls} calls by {agents} agents in {files} log files"},
    "report.skipped": {"zh": "跳过了 {n} 条无法读取的记录", "en": "{n} unreadable records skipped"},
    "report.unreadable": {"zh": "{n} 个文件无法打开:{files}", "en": "{n} files could not be opened: {files}"},
    "report.measure": {"zh": "指标", "en": "Measure"},
    "report.value": {"zh": "数值", "en": "Value"},
    "report.wait_compliance": {"zh": "按规定等待的比例", "en": "Waits kept"},
    "report.waits": {"zh": "等待:守住 / 提前挂断 / 短于流程 / 客户先开口",
                     "en": "Waits: kept / cut short / shorter than the flow / caller spoke first"},
    "report.skips": {"zh": "漏说的话术", "en": "Lines skipped"},
    "report.no_callback": {"zh": "没请客户换电话就挂机", "en": "Hung up without asking the caller to call again"},
    "report.early": {"zh": "流程未结束客服就挂机", "en": "Agent hung up before the flow ended"},
    "report.avg_call": {"zh": "平均通话时长", "en": "Average call"},
    "report.of": {"zh": "{n}/{total}({pct})", "en": "{n} of {total} ({pct})"},
    "report.seconds": {"zh": "{n} 秒", "en": "{n} s"},
    "report.outcomes": {"zh": "通话结果", "en": "How calls ended"},
    "report.calls": {"zh": "通话数", "en": "Calls"},
    "report.per_agent": {"zh": "每位客服(按规定等待比例从低到高)", "en": "Per agent (fewest waits kept first)"},
    "report.agent": {"zh": "客服", "en": "Agent"},
    "report.all": {"zh": "全部", "en": "All"},
    "report.situations": {"zh": "遇到的情景", "en": "Situations met"},
    "report.entered": {"zh": "次数", "en": "Times"},
    "report.agents": {"zh": "客服人数", "en": "Agents"},
    "report.per_step": {"zh": "每一步的等待:哪一步最常被提前挂断,由谁", "en": "Waits per step: which is cut short most, and by whom"},
    "report.step": {"zh": "步骤", "en": "Step"},
    "report.required": {"zh": "应等", "en": "Wait"},
    "report.kept": {"zh": "守住", "en": "Kept"},
    "report.cut_short": {"zh": "提前挂断", "en": "Cut short"},
    "report.worst_agents": {"zh": "提前挂断最多的客服", "en": "Cut short most by"},
    "report.cut_short_hist": {"zh": "提前挂断前等了多久(秒)", "en": "How long agents waited before cutting a wait short (s)"},
    "report.per_week": {"zh": "每周通话数", "en": "Calls per week"},
    "report.definitions": {"zh": "指标说明", "en": "What the measures mean"},
    "report.define": {
        "zh": "按规定等待:流程要求稍停的地方(如无声电话的 5 秒),计时走完才算守住;客服在等待中挂机算提前挂断;"
              "客户先开口不算客服的错。漏说:客服没说这一步的话术就跳到下一步或挂机。"
              "没请客户换电话就挂机:在无声电话、杂音、客户声音太小等流程中,没说“请您换一部电话再次打来”就挂机。",
        "en": "Waits kept: where the flow asks for a pause (the silent call's 5 s), the wait counts as kept when it "
              "ran its full time; hanging up during it is cutting it short; a caller who speaks first does not "
              "count against the agent. Lines skipped: the agent moved on (or hung up) without saying the step's "
              "line. Hung up without asking the caller to call again: in the silent-call, noisy-line and "
              "caller-too-quiet flows, hanging up before asking the caller to call again from another phone.",
    },
    # -- call outcomes -------------------------------------------------------------------------------
    "outcome.resolved": {"zh": "已解决", "en": "Resolved"},
    "outcome.follow_up": {"zh": "待跟进", "en": "Follow-up"},
    "outcome.hang_up": {"zh": "按流程挂机", "en": "Hung up by the flow"},
    "outcome.transfer": {"zh": "转接", "en": "Transferred"},
    "outcome.return": {"zh": "返回通话", "en": "Back to the call"},
    "outcome.agent_ended": {"zh": "客服提前挂机", "en": "Agent hung up early"},
    "outcome.incomplete": {"zh": "记录不完整", "en": "Log incomplete"},
    # -- the faults a drill or quiz records (scoring reason codes) ----------------------------------------
    "reason.empty": {"zh": "没有回答", "en": "No answer"},
    "reason.not_similar": {"zh": "说的不是这句话术", "en": "Not this line"},
    "reason.missing_element": {"zh": "漏了话术要点", "en": "Left out a part of the line"},
    "reason.key_phrase_missing": {"zh": "漏了关键用语", "en": "Left out a key phrase"},
    "reason.variable_missing": {"zh": "漏说了姓名或工号", "en": "Left out a name or number"},
    "reason.forbidden_phrase": {"zh": "说了禁用语", "en": "Said what must never be said"},
    "reason.wei_opening": {"zh": "用“喂”开头", "en": "Opened with 喂"},
    "reason.informal_you": {"zh": "用“你”称呼客户", "en": "Said 你 instead of 您"},
    "reason.absolute_word": {"zh": "用了“保证/肯定/绝对”", "en": "Promised with 保证/肯定/绝对"},
    "reason.blunt_reply": {"zh": "回答生硬简短", "en": "Blunt one-word reply"},
    "reason.blunt_request": {"zh": "命令口气,不是请求", "en": "An order, not a request"},
    "reason.wording": {"zh": "措辞有出入", "en": "Worded differently"},
    "reason.wait_too_short": {"zh": "等待时间不够", "en": "Did not wait long enough"},
    "reason.wait_too_long": {"zh": "等得太久", "en": "Waited too long"},
    "reason.document": {"zh": "选了手册禁止的说法", "en": "Chose a phrasing the manual forbids"},
    "reason.wait": {"zh": "等待时间答错", "en": "Wrong wait"},
    "reason.next": {"zh": "下一句答错", "en": "Wrong next line"},
}


def interface_language(explicit: str | None = None) -> str:
    """``explicit`` (a command's ``--lang``), else the settings' interface language (zh by default;
    the defaults when the settings file cannot be read: the command has its own work to do)."""
    if explicit:
        return explicit
    from callscript.settings import load_settings_or_defaults

    settings, _problem = load_settings_or_defaults()
    return settings.interface_language


def words(language: str) -> Callable[..., str]:
    """``t(id, **fields)``: the text of ``id`` in ``language`` (``zh`` or ``en``), fields filled."""
    lang = "en" if language.startswith("en") else "zh"

    def t(key: str, **fields: Any) -> str:
        return WORDS[key][lang].format(**fields) if fields else WORDS[key][lang]

    return t


def fields_of(text: str) -> set[str]:
    """The ``{fields}`` a text uses (the catalog test compares them across languages)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def label(prefix: str, code: str, language: str) -> str:
    """The label of an outcome or a reason code; the code itself where there is none (a log from
    a newer version may carry one this version does not know)."""
    entry = WORDS.get(f"{prefix}.{code}")
    if entry is None:
        return code
    return entry["en" if language.startswith("en") else "zh"]


def flow_label(flows: Mapping[str, Any] | None, flow_id: str, language: str) -> str:
    """A flow's title in ``language`` (its id only when the flow is not known here)."""
    flow = (flows or {}).get(flow_id)
    return flow.title.pick("en" if language.startswith("en") else "zh") if flow is not None else flow_id


def step_label(flows: Mapping[str, Any] | None, flow_id: str, step_id: str, language: str, *, width: int = 14) -> str:
    """A step as a trainer knows it: the flow's title and the opening words of the line (or of
    its tip), e.g. ``无声电话 · 您好,请问有什么可以…``."""
    flow = (flows or {}).get(flow_id)
    step = flow.steps.get(step_id) if flow is not None else None
    if step is None:
        return f"{flow_label(flows, flow_id, language)} · {step_id}"
    lang = "en" if language.startswith("en") else "zh"
    text = step.say if step.say is not None else (step.tip.pick(lang) if step.tip else step_id)
    if step.say is not None:
        from callscript.text import fill

        text = fill(text, flow.defaults())
    short = text if len(text) <= width else text[: width - 1].rstrip(",,、 ") + "…"
    return f"{flow.title.pick(lang)} · {short}"
