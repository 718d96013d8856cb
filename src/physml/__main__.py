from physml.cli import main

raise SystemExit(main())
