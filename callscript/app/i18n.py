"""The interface's own words in Chinese and English (flows keep their own language).

A small catalog: each message id maps to its ``zh`` and ``en`` text, with ``{name}`` fields filled
by ``Messages.__call__``. A test checks that every id has both languages and the same fields, and
that every id the app uses exists. No Textual import here.
"""

from __future__ import annotations

import string

CATALOG: dict[str, dict[str, str]] = {
    # -- app-wide ------------------------------------------------------------------------------
    "app.title": {"zh": "callscript 通话助手", "en": "callscript call prompter"},
    "binding.app.quit": {"zh": "退出", "en": "Quit"},
    "binding.app.help": {"zh": "帮助", "en": "Help"},
    "settings.bad_file": {
        "zh": "设置文件有误,本次使用默认设置:\n{error}",
        "en": "The settings file has a problem; using the defaults for now:\n{error}",
    },
    "error.no_flows": {"zh": "没有可用的通话流程。", "en": "No call flows are available."},
    "keys.conflict": {
        "zh": "按键 {key} 同时分配给了:{ids}。请在设置(F2)中修改。",
        "en": "Key {key} is assigned to more than one thing: {ids}. Change it in settings (F2).",
    },
    # -- picker --------------------------------------------------------------------------------
    "picker.heading": {"zh": "选择通话流程", "en": "Choose a call flow"},
    "picker.filter": {"zh": "输入以筛选(中文或英文)…", "en": "Type to filter (Chinese or English)…"},
    "picker.keys": {"zh": "↑↓ 选择 · {start} 开始通话 · {settings} 设置", "en": "↑↓ choose · {start} start the call · {settings} settings"},
    "picker.calls": {"zh": "通话", "en": "Calls"},
    "picker.situations": {"zh": "情景(通话中可随时按键进入)", "en": "Situations (a hotkey during any call)"},
    "picker.none": {"zh": "没有匹配“{text}”的流程", "en": "No flow matches “{text}”"},
    "picker.count": {"zh": "{shown}/{total} 个流程", "en": "{shown} of {total} flows"},
    "binding.picker.start": {"zh": "开始通话", "en": "Start call"},
    "binding.picker.settings": {"zh": "设置", "en": "Settings"},
    "binding.picker.clear": {"zh": "清除筛选", "en": "Clear filter"},
    # -- call ----------------------------------------------------------------------------------
    "call.say": {"zh": "现在说", "en": "Say now"},
    "call.do": {"zh": "现在做", "en": "Do now"},
    "call.no_say": {"zh": "(本步无台词,按提示操作)", "en": "(nothing to say in this step: follow the tip)"},
    "call.never": {"zh": "✗ 切勿", "en": "✗ NEVER"},
    "call.never_say": {"zh": "✗ 切勿说", "en": "✗ NEVER SAY"},
    "call.never_do": {"zh": "✗ 切勿做", "en": "✗ NEVER DO"},
    "call.tip": {"zh": "提示", "en": "Tip"},
    "call.gloss": {"zh": "英文", "en": "English"},
    "call.mark_said": {"zh": "说完后按 {key},开始计时 {seconds} 秒", "en": "Press {key} once you have said it: starts the {seconds}s wait"},
    "call.mark_said_plain": {"zh": "说完后按 {key}", "en": "Press {key} once you have said it"},
    "call.said": {"zh": "已说", "en": "Said"},
    "call.wait_after": {"zh": "等待", "en": "Wait"},
    "call.wait_silence": {"zh": "静音等待", "en": "Silence"},
    "call.wait_paused": {"zh": "客户在说话,静音计时暂停", "en": "Caller speaking: silence count paused"},
    "call.wait_left": {"zh": "还剩 {seconds} 秒 → {target}", "en": "{seconds}s left → {target}"},
    "call.no_wait": {"zh": "无计时", "en": "No timed wait"},
    "call.events": {"zh": "现在可能发生", "en": "What can happen now"},
    "call.no_events": {"zh": "(无可选事件)", "en": "(no events in this step)"},
    "call.situations": {"zh": "情景(随时)", "en": "Situations (any time)"},
    "call.path": {"zh": "路径", "en": "Path"},
    "call.caller": {"zh": "客户", "en": "Caller"},
    "call.caller_unknown": {"zh": "未知", "en": "unknown"},
    "call.notes": {"zh": "备注", "en": "Notes"},
    "call.no_notes": {"zh": "无", "en": "none"},
    "call.clock": {"zh": "通话", "en": "Call"},
    "call.in_situation": {"zh": "情景", "en": "Situation"},
    "call.suggested": {"zh": "建议:按 {key} 进入“{label}”({why})", "en": "Suggested: press {key} for “{label}” ({why})"},
    "call.heard": {"zh": "听到", "en": "Heard"},
    "call.level": {"zh": "线路", "en": "Line"},
    "call.missing": {"zh": "缺少:{items}(按 {key} 查看修复方法)", "en": "Missing: {items} ({key}: how to fix)"},
    "call.listening_problem": {"zh": "监听问题:{message}", "en": "Listening problem: {message}"},
    "call.speaker_problem": {"zh": "无法示范朗读:{message}", "en": "Cannot demonstrate: {message}"},
    "call.speaker_missing": {"zh": "本机未安装语音合成(callscript[speech])", "en": "speech synthesis is not installed here (callscript[speech])"},
    "call.demonstrating": {"zh": "正在示范(只在您的耳机中播放)", "en": "Demonstrating (only in your headset)"},
    "call.demonstrating_louder": {"zh": "正在示范,音量稍大", "en": "Demonstrating, slightly louder"},
    "call.nothing_to_demonstrate": {"zh": "本步没有台词可示范", "en": "This step has no line to demonstrate"},
    "call.no_event_on_key": {"zh": "按键 {key} 在本步没有事件", "en": "Key {key} has no event in this step"},
    "call.situation_running": {"zh": "已在“{label}”情景中", "en": "Already in “{label}”"},
    "call.caller_set": {"zh": "称呼:{name}", "en": "Caller: {name}"},
    "call.forbidden_heard": {"zh": "注意:刚才说了禁用语“{phrase}”", "en": "Careful: you just said the forbidden “{phrase}”"},
    "call.note_added": {"zh": "已记下备注", "en": "Note added"},
    "binding.call.said": {"zh": "已说完", "en": "Said it"},
    "binding.call.accept": {"zh": "接受建议", "en": "Accept suggestion"},
    "binding.call.gloss": {"zh": "英文释义", "en": "Gloss"},
    "binding.call.demonstrate": {"zh": "示范", "en": "Demonstrate"},
    "binding.call.caller": {"zh": "客户姓氏", "en": "Caller name"},
    "binding.call.note": {"zh": "备注", "en": "Note"},
    "binding.call.end": {"zh": "结束通话", "en": "End call"},
    # -- dialogs -------------------------------------------------------------------------------
    "caller.heading": {"zh": "客户称呼", "en": "Caller's name"},
    "caller.help": {
        "zh": "输入姓氏和称呼,如“王先生”“李小姐”;只输姓氏则保留原称呼。回车确认,Esc 取消。",
        "en": "Type surname and title, e.g. 王先生 or 李小姐; a surname alone keeps the title. Enter saves, Esc cancels.",
    },
    "note.heading": {"zh": "备注", "en": "Note"},
    "note.help": {"zh": "写下要记录的内容。回车保存,Esc 取消。", "en": "Write what to remember. Enter saves, Esc cancels."},
    "help.heading": {"zh": "按键说明", "en": "Keys"},
    "help.close": {"zh": "按 Esc 或 F1 关闭", "en": "Esc or F1 closes this"},
    "help.events": {"zh": "本步事件", "en": "events of this step"},
    "help.missing": {"zh": "缺少的部分及修复方法", "en": "What is missing, and how to fix it"},
    # -- summary -------------------------------------------------------------------------------
    "summary.heading": {"zh": "通话结束", "en": "Call ended"},
    "summary.outcome": {"zh": "结果", "en": "Outcome"},
    "summary.final_tip": {"zh": "最后一步", "en": "Last step"},
    "summary.duration": {"zh": "时长", "en": "Duration"},
    "summary.steps": {"zh": "步骤", "en": "Steps"},
    "summary.situations": {"zh": "遇到的情景", "en": "Situations met"},
    "summary.none": {"zh": "无", "en": "none"},
    "summary.notes": {"zh": "备注", "en": "Notes"},
    "summary.log": {"zh": "会话记录", "en": "Session log"},
    "summary.next_hint": {"zh": "按 {key} 开始下一通“{title}”", "en": "Press {key} for the next call: “{title}”"},
    "binding.summary.next": {"zh": "下一通", "en": "Next call"},
    "binding.summary.picker": {"zh": "选择流程", "en": "Choose flow"},
    "outcome.hang_up": {"zh": "挂机", "en": "Hung up"},
    "outcome.transfer": {"zh": "转接", "en": "Transferred"},
    "outcome.resolved": {"zh": "已解决", "en": "Resolved"},
    "outcome.follow_up": {"zh": "待跟进", "en": "Follow-up"},
    "outcome.return": {"zh": "流程完成", "en": "Flow completed"},
    "outcome.agent_ended": {"zh": "客服结束通话", "en": "Ended by the agent"},
    "outcome.aborted": {"zh": "中断", "en": "Aborted"},
    # -- settings ------------------------------------------------------------------------------
    "settings.heading": {"zh": "设置", "en": "Settings"},
    "settings.file": {"zh": "文件:{path}", "en": "File: {path}"},
    "settings.agent": {"zh": "客服姓名或工号", "en": "Agent name or number"},
    "settings.hotline": {"zh": "热线或公司名称", "en": "Hotline or company name"},
    "settings.flow_default": {"zh": "留空则用流程默认值:{value}", "en": "empty: the flow's default, {value}"},
    "settings.interface_language": {"zh": "界面语言", "en": "Interface language"},
    "settings.default_flow": {"zh": "默认流程", "en": "Default flow"},
    "settings.plain": {"zh": "简洁模式(高对比度、无动画、线性文本)", "en": "Plain mode (high contrast, no animation, linear text)"},
    "settings.tts_rate": {"zh": "示范语速(每分钟字数)", "en": "Demonstration rate (words per minute)"},
    "settings.tts_volume": {"zh": "示范音量(0.0–1.0)", "en": "Demonstration volume (0.0-1.0)"},
    "settings.input_device": {"zh": "线路输入设备", "en": "Line input device"},
    "settings.agent_input_device": {"zh": "客服麦克风", "en": "Agent microphone"},
    "settings.output_device": {"zh": "耳机输出设备", "en": "Headset output device"},
    "settings.model_dir": {"zh": "语音识别模型目录", "en": "Speech model folder"},
    "settings.record_line_audio": {"zh": "录制线路音频(用于回放)", "en": "Record line audio (for replay)"},
    "settings.device_default": {"zh": "留空为系统默认", "en": "empty: the system default"},
    "settings.keys": {"zh": "按键", "en": "Keys"},
    "settings.keys_help": {
        "zh": "按键名称如 space、enter、g、ctrl+e、f2;多个用逗号分隔。",
        "en": "Key names such as space, enter, g, ctrl+e, f2; separate several with commas.",
    },
    "settings.on": {"zh": "开启", "en": "On"},
    "settings.save": {"zh": "保存", "en": "Save"},
    "settings.cancel": {"zh": "取消", "en": "Cancel"},
    "settings.saved": {"zh": "设置已保存到 {path}", "en": "Settings saved to {path}"},
    "settings.invalid": {"zh": "无法保存:{message}", "en": "Cannot save: {message}"},
    "settings.bad_number": {"zh": "“{field}”需要数字", "en": "“{field}” needs a number"},
    "settings.bad_key": {"zh": "“{id}”的按键“{key}”无效", "en": "“{key}” is not a valid key for “{id}”"},
    "binding.settings.save": {"zh": "保存", "en": "Save"},
    "binding.settings.cancel": {"zh": "取消", "en": "Cancel"},
    "lang.zh": {"zh": "中文", "en": "Chinese (中文)"},
    "lang.en": {"zh": "英文(English)", "en": "English"},
    # -- replay --------------------------------------------------------------------------------
    "replay.heading": {"zh": "回放 · {file} · 第 {number}/{count} 通 · {title} · 客服 {agent} · {outcome}",
                       "en": "Replay · {file} · call {number}/{count} · {title} · agent {agent} · {outcome}"},
    "replay.col.time": {"zh": "时间", "en": "Time"},
    "replay.col.delta": {"zh": "间隔", "en": "+"},
    "replay.col.what": {"zh": "经过", "en": "What happened"},
    "replay.playing": {"zh": "▶ 播放", "en": "▶ Playing"},
    "replay.paused": {"zh": "⏸ 暂停", "en": "⏸ Paused"},
    "replay.marks": {"zh": "⚠ {count} 处不合规", "en": "⚠ {count} marks"},
    "replay.no_marks": {"zh": "✓ 无不合规", "en": "✓ no marks"},
    "replay.no_more_marks": {"zh": "这个方向没有更多标记", "en": "No more marks that way"},
    "replay.audio.none": {"zh": "本通话未录制线路音频(设置中可开启“录制线路音频”)",
                          "en": "No line audio was recorded for this call (turn on “Record line audio” in settings)"},
    "replay.audio.ready": {"zh": "线路音频:{file}", "en": "Line audio: {file}"},
    "replay.audio.cannot": {"zh": "线路音频无法播放:{message}", "en": "The line audio cannot play: {message}"},
    "replay.audio.off": {"zh": "线路音频未播放(--no-audio)", "en": "Line audio is not played (--no-audio)"},
    "replay.audio.faster": {"zh": "线路音频以 {speed} 倍速播放(音调变高)", "en": "Line audio at {speed}x (higher pitch)"},
    "replay.call_line": {"zh": "{number}. {when}  {title}  {outcome}  {duration}  ⚠{marks}",
                         "en": "{number}. {when}  {title}  {outcome}  {duration}  ⚠{marks}"},
    "replay.choose.heading": {"zh": "选择要回放的通话", "en": "Choose the call to replay"},
    "replay.recent.heading": {"zh": "最近的通话记录", "en": "Recent call logs"},
    "replay.recent.none": {"zh": "{dir} 中还没有通话记录", "en": "No call logs in {dir} yet"},
    "replay.choose.help": {"zh": "↑↓ 选择,回车打开,Esc 取消", "en": "↑↓ choose, Enter opens, Esc cancels"},
    "replay.jump.heading": {"zh": "跳到时间", "en": "Jump to a time"},
    "replay.jump.help": {"zh": "输入时间,如 1:05 或 65(秒)。回车确认,Esc 取消。",
                         "en": "Type a time such as 1:05 or 65 (seconds). Enter jumps, Esc cancels."},
    "replay.jump.bad": {"zh": "无法识别的时间:“{text}”", "en": "Not a time: “{text}”"},
    "replay.cannot_open": {"zh": "无法回放:{message}", "en": "Cannot replay: {message}"},
    "replay.row.start": {"zh": "通话开始 · {title}", "en": "Call started · {title}"},
    "replay.row.step": {"zh": "▸ {where}", "en": "▸ {where}"},
    "replay.row.resumed": {"zh": "↩ 回到 {where}", "en": "↩ back to {where}"},
    "replay.row.said": {"zh": "已说完", "en": "Line said"},
    "replay.row.wait_starts": {"zh": "开始等待 {seconds} 秒", "en": "{seconds} s wait starts"},
    "replay.row.timer": {"zh": "⏱ 等待 {seconds} 秒结束", "en": "⏱ {seconds} s wait ran out"},
    "replay.row.required": {"zh": "流程要求 {seconds} 秒", "en": "the flow requires {seconds} s"},
    "replay.row.wait_interrupted": {"zh": "等待在 {waited} 秒时被打断(要求 {required} 秒)",
                                    "en": "Wait interrupted after {waited} s (of {required} s)"},
    "replay.row.agent": {"zh": "按键:{name}", "en": "Key: {name}"},
    "replay.row.line": {"zh": "线路:{name}", "en": "Line: {name}"},
    "replay.row.heard": {"zh": "听到:“{name}”", "en": "Heard: “{name}”"},
    "replay.row.unmatched": {"zh": "(未改变流程)", "en": "(changed nothing)"},
    "replay.row.situation": {"zh": "情景:{label}", "en": "Situation: {label}"},
    "replay.row.note": {"zh": "备注:{text}", "en": "Note: {text}"},
    "replay.row.variable": {"zh": "{name} = {value}", "en": "{name} = {value}"},
    "replay.row.end": {"zh": "通话结束:{outcome}", "en": "Call ended: {outcome}"},
    "binding.replay.play": {"zh": "播放/暂停", "en": "Play/pause"},
    "binding.replay.forward": {"zh": "下一条", "en": "Next"},
    "binding.replay.back": {"zh": "上一条", "en": "Previous"},
    "binding.replay.next_mark": {"zh": "下一标记", "en": "Next mark"},
    "binding.replay.prev_mark": {"zh": "上一标记", "en": "Previous mark"},
    "binding.replay.start": {"zh": "到开头", "en": "To start"},
    "binding.replay.end": {"zh": "到结尾", "en": "To end"},
    "binding.replay.speed": {"zh": "倍速", "en": "Speed"},
    "binding.replay.jump": {"zh": "跳到时间", "en": "Jump to time"},
    "binding.replay.call": {"zh": "选择通话", "en": "Choose call"},
    "binding.replay.demonstrate": {"zh": "示范", "en": "Demonstrate"},
    "binding.replay.gloss": {"zh": "英文释义", "en": "Gloss"},
    "binding.replay.close": {"zh": "关闭", "en": "Close"},
    "binding.picker.replay": {"zh": "回放通话", "en": "Replay a call"},
}


def fields_of(text: str) -> set[str]:
    """The ``{name}`` fields a message uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Messages:
    """The catalog in one language: ``t("call.say")``, ``t("picker.none", text=...)``."""

    def __init__(self, language: str = "zh") -> None:
        self.language = "en" if language.startswith("en") else "zh"

    def __call__(self, message_id: str, **values: object) -> str:
        entry = CATALOG.get(message_id)
        if entry is None:
            return message_id  # a missing id shows itself rather than crashing a live call
        text = entry[self.language]
        return text.format(**values) if values else text

    def has(self, message_id: str) -> bool:
        return message_id in CATALOG
