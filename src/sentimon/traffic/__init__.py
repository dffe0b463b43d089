"""`sentimon traffic`: open-loop load with scenarios that exercise every alert."""
