"""``distilsearch index --engine``: local by default; ray says how to install it if missing."""

from __future__ import annotations

from shell import index_ray
from shell.cli import build_parser, main


def test_the_local_engine_is_the_default():
    parser, _ = build_parser()
    args = parser.parse_args(["index", "docs"])
    assert args.engine == "local" and index_ray.ray_options_from_args(args) is None


def test_ray_options_come_from_the_flags():
    parser, _ = build_parser()
    args = parser.parse_args(
        [
            "index",
            "d",
            "--engine",
            "ray",
            "--ray-address",
            "ray://h:10001",
            "--workers",
            "3",
            "--ray-encoders",
            "2",
        ]
    )
    options = index_ray.ray_options_from_args(args)
    assert options is not None and options.address == "ray://h:10001"
    assert (options.chunk_actors, options.encode_actors) == (3, 2)


def test_engine_ray_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(index_ray, "ray_installed", lambda: False)
    (tmp_path / "a.txt").write_text("text")
    code = main(["index", str(tmp_path), "--engine", "ray", "--milvus-uri", str(tmp_path / "m.db")])
    assert code == 1
    assert "pip install 'distilsearch[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "m.db").exists()  # refused before anything was opened
