"""`yimen triage …`: suggest, train, predict, evaluate, and rule/statute housekeeping.

The project's `yimen` console command dispatches `yimen triage ARGS` to `main(ARGS)`; the Django
management command `triage` does the same. Messages for people are Chinese; JSON goes to stdout,
progress bars and messages to stderr, so output can be piped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yimen.triage.ledger import LedgerError
from yimen.triage.statutes import StatuteFormatError
from yimen.triage.textmodel import ModelDirectoryError, TrainingDataError, _

EXIT_OK, EXIT_USAGE, EXIT_DATA = 0, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exits from inside the library
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _progress(total: int | None, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="条", file=sys.stderr, disable=quiet, dynamic_ncols=True, mininterval=0.5)


def _ensure_django() -> None:
    from django.apps import apps
    from django.conf import settings

    if settings.configured and apps.ready:
        return
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    django.setup()


def _try_django() -> bool:
    try:
        _ensure_django()
        return True
    except Exception:  # noqa: BLE001 - the pure commands work without a project database
        return False


def _print_json(data: Any, out) -> None:
    out.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    out.write("\n")


# -- commands -------------------------------------------------------------------------------------


def cmd_suggest(args, out, err) -> int:
    from yimen.triage.engine import suggest
    from yimen.triage.guidance import build_guide

    text = args.text
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        err.write("请提供事项内容\n")
        return EXIT_USAGE
    s = suggest(text, level=args.level, party_ids=args.party or (), with_legal=not args.no_legal)
    data = s.as_dict()
    if args.guide:
        from yimen.triage.config import get_config

        data["guidance"] = build_guide(s, config=get_config(), use_llm=args.llm).as_dict()
    _print_json(data, out)
    return EXIT_OK


def cmd_train(args, out, err) -> int:
    from yimen.triage.training import load_pairs, model_train, model_train_from_database

    if args.from_db:
        _ensure_django()
        n_steps = None
        with _progress(n_steps, "训练", args.quiet) as bar:
            result = model_train_from_database(
                out_dir=args.out, features=args.features, folds=args.folds, activate=args.activate, progress=bar.update
            )
    else:
        if not (args.data and args.text_column and args.label_column):
            raise _UsageError("train 需要 --data、--text-column 和 --label-column（或使用 --from-db）")
        _try_django()
        texts, labels, skipped = load_pairs(args.data, args.text_column, args.label_column)
        if skipped:
            err.write(f"跳过 {skipped} 行（内容或类别为空）\n")
        from yimen.triage.textmodel import FEATURES

        n_feats = len(FEATURES) if args.features == "auto" else 1
        with _progress((n_feats + 1) * args.folds + 1, "交叉验证与训练", args.quiet) as bar:
            result = model_train(
                texts=texts,
                labels=labels,
                out_dir=args.out,
                features=args.features,
                folds=args.folds,
                activate=args.activate,
                source=str(Path(args.data).name),
                progress=bar.update,
            )
    from yimen.triage.training import choice_text

    meta = result.model.meta
    chosen = result.reports[meta["features"]]
    err.write(chosen.as_text(_("== 选定特征 %(features)s，仅模型（交叉验证）==") % {"features": meta["features"]}) + "\n")
    err.write(choice_text(meta) + "\n")
    err.write(result.labels_text() + "\n")
    if args.activate and not result.activated:
        from yimen.triage import paths

        err.write(
            _("未能设为系统当前模型：没有数据库时系统只读取“%(site)s”中的 CURRENT，请用 --out %(site)s 重新训练或设置 YIMEN_TRIAGE_MODEL")
            % {"site": paths.models_dir()} + "\n"
        )
    elif not result.activated:
        err.write(_("未改变系统当前使用的模型（需要时加 --activate）；用 predict --model %(path)s 试用") % {"path": result.path.parent} + "\n")
    _print_json(
        {
            "version": meta["version"],
            "path": str(result.path),
            "features": meta["features"],
            "lexicon_weight": meta["lexicon_weight"],
            "lexicon_weight_chosen_by": meta["lexicon_weight_chosen_by"],
            "temperature": meta.get("temperature", 1.0),
            "n_samples": meta["n_samples"],
            "metrics": meta["metrics"],
            "selection": meta["selection"],
            "labels": meta["labels"],
            "linked_labels": result.linked_labels,
            "own_labels": result.own_labels,
            "activated": result.activated,
        },
        out,
    )
    return EXIT_OK


def cmd_predict(args, out, err) -> int:
    from yimen.triage import classify
    from yimen.triage.config import get_config
    from yimen.triage.ledger import read_ledger, write_ledger
    from yimen.triage.normalize import normalize_text

    ledger = read_ledger(args.data, required=(args.text_column,))
    if not ledger.rows:
        raise LedgerError(_("文件“%(name)s”只有表头，没有数据行") % {"name": Path(args.data).name})
    if not args.lexicon_only and not args.model:
        _try_django()
    model = None
    if not args.lexicon_only:
        model = classify.load_model(args.model) if args.model else classify.active_model()
    config = get_config()
    texts = ledger.column(args.text_column)
    pred_col, label_col, conf_col = args.predicted_column, f"{args.predicted_column}_label", "confidence"
    sources: set[str] = set()
    with _progress(len(texts), "预测", args.quiet) as bar:
        for row, text in zip(ledger.rows, texts):
            row[pred_col], row[label_col], row[conf_col] = "", "", ""
            if text and model is not None:
                # The model answers in its ledger's own labels, whatever they are.
                p = classify.predict_in_model_labels(normalize_text(text).lower(), config, model)
                row[pred_col], row[label_col], row[conf_col] = p.label, p.display, round(p.confidence, 4)
                sources.add(p.source)
            elif text:
                c = classify.classify(normalize_text(text).lower(), config, model=None)
                row[pred_col], row[label_col], row[conf_col] = c.code, c.top[0].label, round(c.top[0].confidence, 4)
            bar.update(1)
    columns = [c for c in ledger.columns if c not in (pred_col, label_col, conf_col)] + [pred_col, label_col, conf_col]
    if model is None:
        source = _("词库")
    elif "lexicon+model" in sources:
        source = _("模型 %(version)s，词库参与已对应类别的排序") % {"version": model.version}
    else:
        source = _("模型 %(version)s") % {"version": model.version}
    if args.out:
        write_ledger(args.out, columns, ledger.rows)
        err.write(f"已写入 {args.out}（{len(ledger.rows)} 行，依据：{source}）\n")
    else:
        import csv

        w = csv.writer(out)
        w.writerow(columns)
        for r in ledger.rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
        err.write(_("依据：%(source)s") % {"source": source} + "\n")
    return EXIT_OK


def cmd_evaluate(args, out, err) -> int:
    from yimen.triage.config import get_config
    from yimen.triage.normalize import normalize_text
    from yimen.triage.textmodel import BASELINE, FEATURES, cross_validate, evaluate_choice, label_codes_for
    from yimen.triage.training import lexicon_proba, lexicon_report, load_pairs

    texts, labels, skipped = load_pairs(args.data, args.text_column, args.label_column)
    if skipped:
        err.write(f"跳过 {skipped} 行（内容或类别为空）\n")
    norm = [normalize_text(t).lower() for t in texts]
    reports: dict[str, Any] = {}
    feats = FEATURES if args.features == "auto" else (() if args.features == "lexicon" else (args.features,))
    if args.features in ("auto", "lexicon"):
        lex = lexicon_report(texts, labels)
        if lex is None:
            err.write("类别名称与类别树对不上，跳过词库评估\n")
        else:
            reports["lexicon"] = lex
            err.write(lex.as_text("== 词库（无需训练）==") + "\n")
    with _progress(len(feats) * args.folds, "交叉验证", args.quiet) as bar:
        for feat in feats:
            report, _oof, _proba = cross_validate(norm, labels, features=feat, folds=args.folds, progress=bar.update)
            reports[feat] = report
            err.write(report.as_text(f"== 学习模型：{feat} ==") + "\n")
    if args.features == "auto":
        # What `train` would choose, scored on folds the choice never saw (nested cross-validation).
        config = get_config()
        links = label_codes_for(labels, config)
        with _progress(args.folds, "嵌套交叉验证（选择特征与混合权重）", args.quiet) as bar:
            learned, blend, choices = evaluate_choice(
                norm, labels, folds=args.folds, label_codes=links,
                lexicon_proba=lexicon_proba(norm, config) if links else None, progress=bar.update,
            )
        reports["learned"], reports["blend"] = learned, blend
        shown = "；".join(f"{c['features']}/{c['lexicon_weight']:g}" for c in choices)
        err.write(learned.as_text(_("== 学习模型，选定特征（嵌套交叉验证；各折选择 特征/词库权重：%(c)s）==") % {"c": shown}) + "\n")
        err.write(blend.as_text(_("== 词库+学习模型，选定特征与权重（嵌套交叉验证）==")) + "\n")
    if args.baseline:
        with _progress(args.folds, "基线交叉验证", args.quiet) as bar:
            base, _oof, _proba = cross_validate(norm, labels, features=BASELINE, folds=args.folds, progress=bar.update)
        reports[BASELINE] = base
        err.write(base.as_text(_("== 基线：TF-IDF（字 1–2 元）+ LinearSVC，同一折 ==")) + "\n")
        err.write(_baseline_comparison(reports) + "\n")
    _print_json({name: r.as_dict() for name, r in reports.items()}, out)
    return EXIT_OK


def _baseline_comparison(reports: dict[str, Any]) -> str:
    """One line per evaluated path: its macro-F1 minus the baseline's, on the same folds.

    With the paired bootstrap interval of the difference where both scored the same rows: an
    interval above 0 means the path beats the baseline, not merely ties it.
    """
    from yimen.triage.textmodel import BASELINE, paired_difference_ci

    base = reports[BASELINE]
    parts = []
    for name, r in reports.items():
        if name == BASELINE:
            continue
        part = f"{name} {r.macro_f1:.3f}（{r.macro_f1 - base.macro_f1:+.3f}"
        ci = paired_difference_ci(r, base)
        if ci is not None:
            part += _("，配对区间 %(lo)+.3f–%(hi)+.3f") % {"lo": ci[0], "hi": ci[1]}
        parts.append(part + "）")
    return _("与基线（macro-F1 %(base).3f）相比：%(parts)s") % {"base": base.macro_f1, "parts": "；".join(parts) or "—"}


def cmd_import_statutes(args, out, err) -> int:
    from yimen.triage.statutes import statute_import

    _ensure_django()
    results = []
    for f in args.files:
        statute = statute_import(path=f, kind=args.kind, region_code=args.region or "")
        n = statute.articles.count()
        err.write(f"已导入《{statute.title}》{n} 条\n")
        results.append({"title": statute.title, "articles": n})
    _print_json(results, out)
    return EXIT_OK


def cmd_load_defaults(args, out, err) -> int:
    from yimen.triage.rules_db import load_defaults

    _ensure_django()
    _print_json(load_defaults(replace=args.replace), out)
    return EXIT_OK


def cmd_build_index(args, out, err) -> int:
    from yimen.triage import legal

    _try_django()
    with _progress(None, "分词建索引", args.quiet) as bar:

        def progress(it, total):
            bar.total = total
            for x in it:
                bar.update(1)
                yield x

        path = legal.national_db_path()
        # The imported and shipped regulations too: their counts are cached beside the national ones,
        # so the first suggestion after a restart tokenises neither.
        local = legal.local_articles_from_db()[0]
        index = legal.build_index(progress=progress, db_path=path, local=local) if path else legal.get_index()
    _print_json({"articles": len(index), "local_articles": len(local), "terms": len(index.vocab)}, out)
    return EXIT_OK


def cmd_accuracy(args, out, err) -> int:
    from datetime import datetime

    from django.utils import timezone

    from yimen.triage.learning import suggestion_accuracy

    _ensure_django()

    def parse(d: str | None):
        if not d:
            return None
        return timezone.make_aware(datetime.fromisoformat(d))

    _print_json(suggestion_accuracy(since=parse(args.since), until=parse(args.until)).as_dict(), out)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="yimen triage", description="智能研判：分类、分级、派单建议与法律依据")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="不显示进度条")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    add = lambda name, **kw: sub.add_parser(name, parents=[common], **kw)  # noqa: E731

    s = add("suggest", help="对一条事项给出研判建议（JSON）")
    s.add_argument("text", help="事项内容；“-”表示从标准输入读取")
    s.add_argument("--level", choices=["city", "county", "township", "village", "grid"], help="受理层级")
    s.add_argument("--party", action="append", help="当事人身份证号或手机号，可重复")
    s.add_argument("--no-legal", action="store_true", help="不检索法律依据")
    s.add_argument("--guide", action="store_true", help="附带处置指引")
    s.add_argument("--llm", action="store_true", default=None, help="处置指引使用大模型（需配置环境变量）")
    s.set_defaults(func=cmd_suggest)

    t = add("train", help="用台账文件或数据库中的研判记录训练分类模型")
    t.add_argument("--data", help="CSV 或 XLSX 文件")
    t.add_argument("--text-column")
    t.add_argument("--label-column")
    t.add_argument("--out", help="模型保存目录（默认 var/triage/models）")
    t.add_argument("--features", choices=["auto", "char", "jieba", "both", "char+lex", "char1+lex"], default="auto",
                   help="auto：交叉验证从五种特征中选择（同时选择与词库混合的权重）")
    t.add_argument("--folds", type=int, default=5)
    t.add_argument("--activate", action="store_true", help="训练后设为系统当前使用的模型（默认不改变）")
    # Accepted for old scripts: not activating is now the default.
    t.add_argument("--no-activate", action="store_true", help=argparse.SUPPRESS)
    t.add_argument("--from-db", action="store_true", help="用调度员的研判决定训练")
    t.set_defaults(func=cmd_train)

    pr = add("predict", help="为台账文件的每一行预测类别")
    pr.add_argument("--data", required=True)
    pr.add_argument("--text-column", required=True)
    pr.add_argument("--model", help="train --out 的目录（按其中的 CURRENT）或其中的版本目录；默认使用系统当前模型，没有则用词库")
    pr.add_argument("--out", help="输出文件（.csv 或 .xlsx）；不给则输出 CSV 到标准输出")
    pr.add_argument("--predicted-column", default="predicted")
    pr.add_argument("--lexicon-only", action="store_true")
    pr.set_defaults(func=cmd_predict)

    e = add("evaluate", help="k 折交叉验证评估（macro-F1 及自助法置信区间）")
    e.add_argument("--data", required=True)
    e.add_argument("--text-column", required=True)
    e.add_argument("--label-column", required=True)
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--features", choices=["auto", "char", "jieba", "both", "char+lex", "char1+lex", "lexicon"], default="auto",
                   help="auto：五种特征各自的数字，加上 train 选择过程的嵌套交叉验证")
    e.add_argument("--baseline", action="store_true", help="同一折上对照普通 TF-IDF + LinearSVC 基线")
    e.set_defaults(func=cmd_evaluate)

    i = add("import-statutes", help="导入“第X条 …”格式的法规、地方性法规文件")
    i.add_argument("files", nargs="+")
    i.add_argument("--kind", default="regulation", choices=["law", "regulation", "local", "rule", "interpretation", "policy"])
    i.add_argument("--region", help="适用地区代码")
    i.set_defaults(func=cmd_import_statutes)

    ld = add("load-defaults", help="把默认类别、词库和规则写入数据库供管理员编辑")
    ld.add_argument("--replace", action="store_true", help="清除已有编辑，恢复默认")
    ld.set_defaults(func=cmd_load_defaults)

    b = add("build-index", help="预先建立全国法律条文检索索引（首次约需数秒）")
    b.set_defaults(func=cmd_build_index)

    a = add("accuracy", help="研判建议与最终决定的一致率")
    a.add_argument("--since", help="起始日期 YYYY-MM-DD")
    a.add_argument("--until", help="截止日期 YYYY-MM-DD")
    a.set_defaults(func=cmd_accuracy)
    return p


def main(argv: Sequence[str] | None = None, *, stdout=None, stderr=None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        if not getattr(args, "command", None):
            out.write(parser.format_help())
            return EXIT_USAGE
        return args.func(args, out, err)
    except _UsageError as exc:
        err.write(f"参数错误：{exc}\n")
        return EXIT_USAGE
    except (LedgerError, TrainingDataError, ModelDirectoryError, StatuteFormatError) as exc:
        err.write(f"错误：{exc}\n")
        return EXIT_DATA
    except ValueError as exc:
        err.write(f"错误：{exc}\n")
        return EXIT_DATA
    except OSError as exc:  # an unwritable --out, a directory given as a file…
        err.write(_("错误：无法读写“%(name)s”（%(reason)s）") % {"name": exc.filename or "", "reason": exc.strerror or exc} + "\n")
        return EXIT_DATA


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
