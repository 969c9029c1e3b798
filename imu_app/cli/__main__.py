import sys

from imu_app.cli import main

sys.exit(main())
