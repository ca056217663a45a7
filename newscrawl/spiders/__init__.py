"""The spiders: `article` fetches the URLs given; `news` crawls the sites they start."""
