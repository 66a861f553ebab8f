// SampleCatalog (sample.h): a realistic catalog computed product by product from (seed, i).
//
// Map of this file:
//   Rng, Mix            splitmix64: the only source of randomness
//   fixed point         log2 / exp2 in 32.32 fixed point, for Zipf without libm
//   tables              departments > sub-categories > leaves, brands, option values
//   pieces of a product brand, price, variants, description, attributes
//   SampleCatalog       the public methods
//
// Determinism: every value comes from integer arithmetic on splitmix64 outputs, so the
// catalog is the same on every compiler, standard library and CPU. Changing the order of the
// draws in product() changes every catalog: do it only on purpose, as a new catalog version.
#include "commerce/sample.h"

#include <algorithm>
#include <ostream>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "commerce/money.h"

namespace commerce {

namespace {

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

// The splitmix64 finaliser: a bijective 64-bit mix.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ull;
    return Mix(state_);
  }
  // Uniform in [0, n) by multiply-shift (Lemire): bias below 2^-40 for the n used here.
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  bool percent(unsigned p) { return below(100) < p; }
  template <typename T, size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------
// Fixed point: 32.32, so Zipf weights are the same everywhere (libm's pow is not).
// ---------------------------------------------------------------------------------------

constexpr int64_t kOne = int64_t{1} << 32;

// 2^(2^-k) for k = 1..32, in 2.62 fixed point.
constexpr uint64_t kExp2Steps[32] = {
    0x5a827999fcef3242ull, 0x4c1bf828c6dc54b8ull, 0x45cae0f1f545eb73ull, 0x42d561b3e6243d8aull,
    0x4166c34c5615d0ecull, 0x40b268f9de0183baull, 0x4058f6a7ecccd5b6ull, 0x402c6be96af2fb58ull,
    0x4016321b687027a8ull, 0x400b18178ba33b14ull, 0x40058bce410147e8ull, 0x4002c5d7bff71dafull,
    0x400162e807ee7e5bull, 0x4000b1730df6a524ull, 0x400058b9497b8152ull, 0x40002c5c955dd701ull,
    0x4000162e46d6f26cull, 0x40000b1722757b1bull, 0x4000058b90fd3e0cull, 0x400002c5c86f3f26ull,
    0x40000162e433c79bull, 0x400000b17218edd0ull, 0x40000058b90c3968ull, 0x4000002c5c860d54ull,
    0x400000162e4302d2ull, 0x4000000b17218073ull, 0x400000058b90bffcull, 0x40000002c5c85fefull,
    0x4000000162e42ff3ull, 0x40000000b17217f9ull, 0x4000000058b90bfcull, 0x400000002c5c85feull,
};

// log2(x) for an integer x >= 1, in 32.32: the integer part from the top bit, then one
// fractional bit per squaring of the mantissa.
int64_t Log2Fixed(uint64_t x) {
  const int top = 63 - __builtin_clzll(x);
  uint64_t y = top <= 62 ? x << (62 - top) : x >> 1;  // mantissa in [1, 2) as 2.62
  int64_t result = static_cast<int64_t>(top) << 32;
  for (int bit = 31; bit >= 0; --bit) {
    y = static_cast<uint64_t>((static_cast<unsigned __int128>(y) * y) >> 62);
    if (y >= (uint64_t{1} << 63)) {
      y >>= 1;
      result |= int64_t{1} << bit;
    }
  }
  return result;
}

// 2^t for t in 32.32, returned scaled by 2^frac_bits (saturating).
uint64_t Exp2Scaled(int64_t t, int frac_bits) {
  const int64_t whole = t >> 32;  // floor
  const auto frac = static_cast<uint32_t>(t & 0xffffffff);
  uint64_t r = uint64_t{1} << 62;
  for (int k = 1; k <= 32; ++k) {
    if ((frac >> (32 - k)) & 1) {
      r = static_cast<uint64_t>((static_cast<unsigned __int128>(r) * kExp2Steps[k - 1]) >> 62);
    }
  }
  const int64_t shift = whole + frac_bits - 62;
  if (shift >= 0) {
    if (shift >= 64 || (shift > 0 && (r >> (64 - shift)) != 0)) return UINT64_MAX;
    return r << shift;
  }
  return -shift >= 64 ? 0 : r >> (-shift);
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

// What the variants of a leaf's products differ by.
enum class Options : uint8_t {
  kNone,
  kColour,         // colour
  kColourStorage,  // one colour, storage varies
  kSizeCm,         // pans, pots
  kApparel,        // one colour, sizes XS..XXL
  kShoes,          // one colour, EU sizes
  kWeightKg,       // dumbbells, kettlebells
  kVolumeMl,       // cosmetics
  kFormat,         // books
  kLengthM,        // hoses
};

struct Leaf {
  const char* name;
  const char* noun;  // what one product is called in a title
  int median;        // median price in major units
  Options options;
};

struct SubCategory {
  const char* name;
  Leaf leaves[5];
};

struct Department {
  const char* name;
  int weight;                 // share of products, out of 100
  int median_grams;           // shipping weight
  bool warranty;
  const char* brand_suffixes[2];
  const char* adjectives[8];
  const char* uses[4];        // "made for ..."
  const char* features[4];    // whole sentences, without the full stop
  const char* material_key;
  const char* materials[5];
  const char* extra_key;
  const char* extra_values[4];
  SubCategory subs[6];
};

using O = Options;

constexpr Department kDepartments[] = {
    {"Electronics", 18, 600, true, {"Audio", "Labs"},
     {"Wireless", "Compact", "Pro", "Smart", "Portable", "Ultra-Slim", "Premium", "Essential"},
     {"everyday listening and work", "travel and commuting", "home entertainment", "creators and gamers"},
     {"Fast USB-C charging gets it from empty to full in about an hour",
      "Firmware updates arrive over the air, so it keeps improving after you buy it",
      "The low-power design stretches a single charge through a long day",
      "Setup takes a couple of minutes with the companion app"},
     "material", {"aluminium", "recycled plastic", "polycarbonate", "glass and aluminium", "silicone"},
     "connectivity", {"Bluetooth 5.3", "Wi-Fi 6", "USB-C", "HDMI 2.1"},
     {{"Audio", {{"Headphones", "Over-Ear Headphones", 129, O::kColour},
                 {"Earbuds", "True Wireless Earbuds", 79, O::kColour},
                 {"Bluetooth Speakers", "Bluetooth Speaker", 59, O::kColour},
                 {"Soundbars", "Soundbar", 249, O::kNone},
                 {"Turntables", "Turntable", 199, O::kColour}}},
      {"Computers", {{"Laptops", "Laptop", 899, O::kColourStorage},
                     {"Desktops", "Desktop PC", 999, O::kColourStorage},
                     {"Monitors", "Monitor", 279, O::kNone},
                     {"Keyboards", "Mechanical Keyboard", 89, O::kColour},
                     {"Mice", "Mouse", 39, O::kColour}}},
      {"Cameras", {{"Digital Cameras", "Mirrorless Camera", 799, O::kColour},
                   {"Action Cameras", "Action Camera", 299, O::kNone},
                   {"Lenses", "Camera Lens", 449, O::kNone},
                   {"Tripods", "Tripod", 69, O::kNone},
                   {"Memory Cards", "Memory Card", 25, O::kColourStorage}}},
      {"Phones & Tablets", {{"Smartphones", "Smartphone", 599, O::kColourStorage},
                            {"Tablets", "Tablet", 399, O::kColourStorage},
                            {"Phone Cases", "Phone Case", 25, O::kColour},
                            {"Chargers", "Fast Charger", 29, O::kColour},
                            {"Screen Protectors", "Screen Protector", 15, O::kNone}}},
      {"TV & Video", {{"Televisions", "4K Television", 649, O::kNone},
                      {"Projectors", "Home Projector", 499, O::kNone},
                      {"Streaming Devices", "Streaming Stick", 49, O::kNone},
                      {"TV Mounts", "TV Wall Mount", 45, O::kNone},
                      {"Remote Controls", "Universal Remote", 29, O::kColour}}},
      {"Wearables", {{"Smartwatches", "Smartwatch", 299, O::kColour},
                     {"Fitness Trackers", "Fitness Tracker", 99, O::kColour},
                     {"VR Headsets", "VR Headset", 399, O::kColourStorage},
                     {"Smart Rings", "Smart Ring", 249, O::kColour},
                     {"Watch Bands", "Watch Band", 29, O::kColour}}}}},

    {"Home & Kitchen", 15, 1200, true, {"Home", "Kitchen"},
     {"Non-Stick", "Classic", "Professional", "Everyday", "Stainless", "Compact", "Deluxe", "Essential"},
     {"weeknight cooking", "family meals", "small kitchens", "entertaining guests"},
     {"It is dishwasher safe, so cleaning up takes no time",
      "The handle stays cool to the touch on the hob",
      "It works on gas, electric and induction",
      "Every piece is tested for food safety"},
     "material", {"stainless steel", "cast iron", "ceramic", "bamboo", "borosilicate glass"},
     "dishwasher_safe", {"yes", "yes", "no", "hand wash recommended"},
     {{"Cookware", {{"Frying Pans", "Frying Pan", 39, O::kSizeCm},
                    {"Saucepans", "Saucepan", 35, O::kSizeCm},
                    {"Dutch Ovens", "Dutch Oven", 89, O::kSizeCm},
                    {"Woks", "Wok", 45, O::kSizeCm},
                    {"Stock Pots", "Stock Pot", 55, O::kSizeCm}}},
      {"Cutlery", {{"Chef's Knives", "Chef's Knife", 59, O::kNone},
                   {"Knife Sets", "Knife Block Set", 149, O::kNone},
                   {"Cutting Boards", "Cutting Board", 29, O::kNone},
                   {"Knife Sharpeners", "Knife Sharpener", 25, O::kNone},
                   {"Kitchen Shears", "Kitchen Shears", 19, O::kColour}}},
      {"Small Appliances", {{"Blenders", "Blender", 79, O::kColour},
                            {"Coffee Makers", "Coffee Maker", 99, O::kColour},
                            {"Toasters", "Toaster", 45, O::kColour},
                            {"Air Fryers", "Air Fryer", 109, O::kColour},
                            {"Electric Kettles", "Electric Kettle", 39, O::kColour}}},
      {"Bakeware", {{"Baking Sheets", "Baking Sheet", 19, O::kSizeCm},
                    {"Cake Pans", "Cake Pan", 17, O::kSizeCm},
                    {"Muffin Tins", "Muffin Tin", 15, O::kNone},
                    {"Mixing Bowls", "Mixing Bowl Set", 29, O::kColour},
                    {"Rolling Pins", "Rolling Pin", 14, O::kNone}}},
      {"Tableware", {{"Dinner Plates", "Dinner Plate Set", 49, O::kColour},
                     {"Mugs", "Mug", 12, O::kColour},
                     {"Glasses", "Drinking Glass Set", 29, O::kNone},
                     {"Flatware", "Flatware Set", 59, O::kNone},
                     {"Serving Bowls", "Serving Bowl", 24, O::kColour}}},
      {"Storage", {{"Food Containers", "Food Container Set", 29, O::kNone},
                   {"Spice Racks", "Spice Rack", 25, O::kNone},
                   {"Bread Boxes", "Bread Box", 35, O::kColour},
                   {"Canisters", "Canister", 15, O::kColour},
                   {"Lunch Boxes", "Lunch Box", 19, O::kColour}}}}},

    {"Clothing", 20, 350, false, {"& Co", "Studio"},
     {"Slim-Fit", "Classic", "Relaxed", "Organic Cotton", "Lightweight", "Everyday", "Tailored", "Vintage"},
     {"everyday wear", "the office", "weekends away", "layering through the seasons"},
     {"A touch of stretch keeps it comfortable all day",
      "It keeps its shape wash after wash",
      "The fabric is breathable and quick to dry",
      "Reinforced seams are made to take daily wear"},
     "material", {"cotton", "organic cotton", "merino wool", "recycled polyester", "linen"},
     "fit", {"Regular", "Slim", "Relaxed", "Oversized"},
     {{"Men", {{"Shirts", "Oxford Shirt", 39, O::kApparel},
               {"Trousers", "Chinos", 49, O::kApparel},
               {"Jackets", "Jacket", 99, O::kApparel},
               {"Sweaters", "Crew-Neck Sweater", 59, O::kApparel},
               {"Shorts", "Shorts", 29, O::kApparel}}},
      {"Women", {{"Dresses", "Midi Dress", 69, O::kApparel},
                 {"Blouses", "Blouse", 39, O::kApparel},
                 {"Skirts", "Skirt", 45, O::kApparel},
                 {"Coats", "Wool Coat", 149, O::kApparel},
                 {"Leggings", "Leggings", 29, O::kApparel}}},
      {"Kids", {{"T-Shirts", "T-Shirt", 12, O::kApparel},
                {"Pyjamas", "Pyjama Set", 19, O::kApparel},
                {"Hoodies", "Hoodie", 25, O::kApparel},
                {"Jeans", "Jeans", 22, O::kApparel},
                {"Rain Jackets", "Rain Jacket", 35, O::kApparel}}},
      {"Shoes", {{"Running Shoes", "Running Shoes", 99, O::kShoes},
                 {"Boots", "Chelsea Boots", 119, O::kShoes},
                 {"Sandals", "Sandals", 39, O::kShoes},
                 {"Sneakers", "Sneakers", 79, O::kShoes},
                 {"Slippers", "Slippers", 25, O::kShoes}}},
      {"Accessories", {{"Hats", "Beanie", 19, O::kColour},
                       {"Scarves", "Scarf", 25, O::kColour},
                       {"Belts", "Leather Belt", 29, O::kApparel},
                       {"Gloves", "Gloves", 22, O::kApparel},
                       {"Sunglasses", "Sunglasses", 59, O::kColour}}},
      {"Activewear", {{"Sports Bras", "Sports Bra", 35, O::kApparel},
                      {"Running Tights", "Running Tights", 45, O::kApparel},
                      {"Track Jackets", "Track Jacket", 55, O::kApparel},
                      {"Training Shorts", "Training Shorts", 25, O::kApparel},
                      {"Base Layers", "Base Layer Top", 39, O::kApparel}}}}},

    {"Sports & Outdoors", 10, 900, true, {"Outdoor", "Athletics"},
     {"Lightweight", "Pro", "Trail", "All-Weather", "Compact", "Performance", "Rugged", "Essential"},
     {"weekend adventures", "training at home", "long days on the trail", "club and school sport"},
     {"It packs down small enough to fit in a daypack",
      "Every part is tested in wind, rain and cold",
      "Replacement parts are available for years",
      "It is light enough to carry all day"},
     "material", {"ripstop nylon", "aluminium", "neoprene", "EVA foam", "carbon fibre"},
     "skill_level", {"Beginner", "Intermediate", "Advanced", "All levels"},
     {{"Camping", {{"Tents", "Two-Person Tent", 179, O::kColour},
                   {"Sleeping Bags", "Sleeping Bag", 89, O::kColour},
                   {"Camping Stoves", "Camping Stove", 59, O::kNone},
                   {"Headlamps", "Headlamp", 29, O::kColour},
                   {"Camping Chairs", "Folding Camp Chair", 45, O::kColour}}},
      {"Cycling", {{"Bikes", "Hybrid Bike", 599, O::kColour},
                   {"Bike Helmets", "Bike Helmet", 59, O::kApparel},
                   {"Bike Lights", "Bike Light Set", 35, O::kNone},
                   {"Bike Locks", "D-Lock", 45, O::kNone},
                   {"Cycling Gloves", "Cycling Gloves", 25, O::kApparel}}},
      {"Fitness", {{"Dumbbells", "Dumbbell Pair", 49, O::kWeightKg},
                   {"Yoga Mats", "Yoga Mat", 35, O::kColour},
                   {"Resistance Bands", "Resistance Band Set", 19, O::kNone},
                   {"Kettlebells", "Kettlebell", 39, O::kWeightKg},
                   {"Jump Ropes", "Jump Rope", 15, O::kColour}}},
      {"Team Sports", {{"Footballs", "Football", 29, O::kNone},
                       {"Basketballs", "Basketball", 35, O::kNone},
                       {"Shin Guards", "Shin Guards", 19, O::kApparel},
                       {"Goalkeeper Gloves", "Goalkeeper Gloves", 39, O::kApparel},
                       {"Sports Bags", "Sports Bag", 35, O::kColour}}},
      {"Water Sports", {{"Swim Goggles", "Swim Goggles", 19, O::kColour},
                        {"Wetsuits", "Wetsuit", 149, O::kApparel},
                        {"Paddle Boards", "Inflatable Paddle Board", 399, O::kColour},
                        {"Life Jackets", "Life Jacket", 69, O::kApparel},
                        {"Snorkel Sets", "Snorkel Set", 39, O::kColour}}},
      {"Hiking", {{"Backpacks", "Hiking Backpack", 99, O::kColour},
                  {"Trekking Poles", "Trekking Poles", 59, O::kNone},
                  {"Water Bottles", "Insulated Water Bottle", 25, O::kColour},
                  {"Hiking Boots", "Hiking Boots", 139, O::kShoes},
                  {"Rain Shells", "Rain Shell", 129, O::kApparel}}}}},

    {"Beauty & Personal Care", 10, 200, false, {"Beauty", "Naturals"},
     {"Hydrating", "Gentle", "Daily", "Nourishing", "Radiance", "Sensitive", "Pro", "Travel-Size"},
     {"a simple daily routine", "sensitive skin", "busy mornings", "a little everyday luxury"},
     {"It is dermatologist tested and free from added fragrance",
      "The formula is vegan and never tested on animals",
      "A little goes a long way, so one bottle lasts for months",
      "The packaging is made from recycled materials"},
     "packaging", {"recyclable plastic", "glass", "aluminium", "paper carton", "refillable glass"},
     "skin_type", {"All skin types", "Dry", "Oily", "Sensitive"},
     {{"Skin Care", {{"Moisturisers", "Moisturiser", 25, O::kVolumeMl},
                     {"Cleansers", "Gel Cleanser", 15, O::kVolumeMl},
                     {"Serums", "Vitamin C Serum", 35, O::kVolumeMl},
                     {"Sunscreens", "Sunscreen SPF 50", 19, O::kVolumeMl},
                     {"Face Masks", "Clay Face Mask", 17, O::kVolumeMl}}},
      {"Hair Care", {{"Shampoos", "Shampoo", 12, O::kVolumeMl},
                     {"Conditioners", "Conditioner", 12, O::kVolumeMl},
                     {"Hair Dryers", "Hair Dryer", 79, O::kColour},
                     {"Straighteners", "Hair Straightener", 69, O::kColour},
                     {"Hair Brushes", "Paddle Brush", 15, O::kNone}}},
      {"Makeup", {{"Lipsticks", "Lipstick", 19, O::kColour},
                  {"Foundations", "Liquid Foundation", 29, O::kVolumeMl},
                  {"Mascaras", "Mascara", 17, O::kNone},
                  {"Eyeshadow Palettes", "Eyeshadow Palette", 35, O::kNone},
                  {"Makeup Brushes", "Makeup Brush Set", 29, O::kNone}}},
      {"Fragrance", {{"Eau de Parfum", "Eau de Parfum", 79, O::kVolumeMl},
                     {"Eau de Toilette", "Eau de Toilette", 59, O::kVolumeMl},
                     {"Body Mists", "Body Mist", 19, O::kVolumeMl},
                     {"Colognes", "Cologne", 65, O::kVolumeMl},
                     {"Gift Sets", "Fragrance Gift Set", 89, O::kNone}}},
      {"Shaving", {{"Razors", "Razor", 15, O::kNone},
                   {"Electric Shavers", "Electric Shaver", 99, O::kNone},
                   {"Shaving Creams", "Shaving Cream", 9, O::kVolumeMl},
                   {"Beard Trimmers", "Beard Trimmer", 49, O::kNone},
                   {"Aftershaves", "Aftershave Balm", 19, O::kVolumeMl}}},
      {"Oral Care", {{"Electric Toothbrushes", "Electric Toothbrush", 69, O::kColour},
                     {"Toothpastes", "Whitening Toothpaste", 5, O::kVolumeMl},
                     {"Water Flossers", "Water Flosser", 59, O::kColour},
                     {"Mouthwashes", "Mouthwash", 7, O::kVolumeMl},
                     {"Replacement Heads", "Replacement Brush Heads", 19, O::kNone}}}}},

    {"Toys & Games", 9, 500, false, {"Toys", "Kids"},
     {"Deluxe", "Classic", "Mini", "Adventure", "Creative", "Rainbow", "Junior", "Ultimate"},
     {"rainy afternoons", "family game night", "curious young minds", "playing together"},
     {"Every piece is tested to international toy safety standards",
      "The pieces store neatly in the box between games",
      "It grows with your child, with new challenges as skills improve",
      "Clear picture instructions make it easy to start"},
     "material", {"ABS plastic", "sustainable wood", "plush polyester", "cardboard", "silicone"},
     "age_range", {"3+ years", "6+ years", "8+ years", "12+ years"},
     {{"Building Sets", {{"Brick Sets", "Building Brick Set", 49, O::kNone},
                         {"Magnetic Tiles", "Magnetic Tile Set", 59, O::kNone},
                         {"Marble Runs", "Marble Run", 45, O::kNone},
                         {"Model Kits", "Model Kit", 35, O::kNone},
                         {"Construction Vehicles", "Construction Vehicle Kit", 39, O::kColour}}},
      {"Board Games", {{"Strategy Games", "Strategy Game", 45, O::kNone},
                       {"Family Games", "Family Board Game", 29, O::kNone},
                       {"Party Games", "Party Game", 25, O::kNone},
                       {"Card Games", "Card Game", 15, O::kNone},
                       {"Puzzles", "1000-Piece Jigsaw Puzzle", 19, O::kNone}}},
      {"Dolls & Figures", {{"Fashion Dolls", "Fashion Doll", 25, O::kNone},
                           {"Action Figures", "Action Figure", 19, O::kNone},
                           {"Dollhouses", "Wooden Dollhouse", 119, O::kNone},
                           {"Plush Toys", "Plush Bear", 19, O::kColour},
                           {"Play Sets", "Play Set", 39, O::kNone}}},
      {"Outdoor Play", {{"Scooters", "Kick Scooter", 79, O::kColour},
                        {"Trampolines", "Garden Trampoline", 249, O::kNone},
                        {"Water Guns", "Water Blaster", 15, O::kColour},
                        {"Kites", "Stunt Kite", 25, O::kColour},
                        {"Swing Sets", "Swing Set", 199, O::kNone}}},
      {"Learning", {{"Science Kits", "Science Kit", 35, O::kNone},
                    {"Coding Robots", "Coding Robot", 89, O::kNone},
                    {"Globes", "Illuminated Globe", 49, O::kNone},
                    {"Musical Toys", "Toy Keyboard", 39, O::kColour},
                    {"Flash Cards", "Flash Card Set", 12, O::kNone}}},
      {"Baby Toys", {{"Rattles", "Rattle", 9, O::kColour},
                     {"Stacking Toys", "Stacking Rings", 15, O::kNone},
                     {"Activity Gyms", "Activity Gym", 69, O::kNone},
                     {"Bath Toys", "Bath Toy Set", 15, O::kNone},
                     {"Teethers", "Teether", 9, O::kColour}}}}},

    {"Books", 10, 450, false, {"Press", "Books"},
     {"Complete", "Illustrated", "Essential", "Pocket", "Collected", "Little", "Definitive", "New"},
     {"curling up on a quiet evening", "the daily commute", "reading aloud together", "gifting to a friend"},
     {"This edition includes a new introduction by the author",
      "It was a bestseller in its first month",
      "Readers praise its warmth and wit",
      "The text is set in a clear, easy-to-read typeface"},
     "paper", {"FSC-certified paper", "recycled paper", "cream paper", "coated paper", "uncoated paper"},
     "language", {"English", "English", "Spanish", "French"},
     {{"Fiction", {{"Mystery", "Mystery Novel", 14, O::kFormat},
                   {"Science Fiction", "Science Fiction Novel", 15, O::kFormat},
                   {"Romance", "Romance Novel", 11, O::kFormat},
                   {"Fantasy", "Fantasy Novel", 16, O::kFormat},
                   {"Historical Fiction", "Historical Novel", 15, O::kFormat}}},
      {"Non-Fiction", {{"Biographies", "Biography", 20, O::kFormat},
                       {"History", "History Book", 22, O::kFormat},
                       {"Science", "Popular Science Book", 19, O::kFormat},
                       {"Travel", "Travel Guide", 18, O::kFormat},
                       {"True Crime", "True Crime Book", 16, O::kFormat}}},
      {"Children's Books", {{"Picture Books", "Picture Book", 9, O::kFormat},
                            {"Early Readers", "Early Reader", 6, O::kFormat},
                            {"Chapter Books", "Chapter Book", 8, O::kFormat},
                            {"Activity Books", "Activity Book", 7, O::kNone},
                            {"Board Books", "Board Book", 7, O::kNone}}},
      {"Cookbooks", {{"Baking", "Baking Cookbook", 25, O::kFormat},
                     {"Vegetarian", "Vegetarian Cookbook", 24, O::kFormat},
                     {"World Cuisine", "World Cuisine Cookbook", 27, O::kFormat},
                     {"Quick Meals", "Quick Meals Cookbook", 20, O::kFormat},
                     {"Grilling", "Grilling Cookbook", 22, O::kFormat}}},
      {"Self-Help", {{"Productivity", "Productivity Guide", 16, O::kFormat},
                     {"Mindfulness", "Mindfulness Guide", 14, O::kFormat},
                     {"Personal Finance", "Personal Finance Guide", 17, O::kFormat},
                     {"Career", "Career Guide", 16, O::kFormat},
                     {"Relationships", "Relationships Guide", 15, O::kFormat}}},
      {"Comics", {{"Graphic Novels", "Graphic Novel", 19, O::kFormat},
                  {"Manga", "Manga Volume", 10, O::kNone},
                  {"Superheroes", "Superhero Comic Collection", 25, O::kFormat},
                  {"Comic Strips", "Comic Strip Collection", 15, O::kNone},
                  {"Art Books", "Comic Art Book", 35, O::kNone}}}}},

    {"Garden & Outdoor", 8, 2500, true, {"Garden", "Growers"},
     {"Heavy-Duty", "Ergonomic", "Cordless", "Compact", "Weatherproof", "Classic", "Pro", "Essential"},
     {"small gardens and balconies", "weekend gardening", "large lawns", "outdoor living"},
     {"It is built to stay outdoors through every season",
      "Rust-resistant fittings keep it working for years",
      "It folds flat for winter storage",
      "Spare parts are available for as long as it is sold"},
     "material", {"powder-coated steel", "aluminium", "teak", "polypropylene", "galvanised steel"},
     "power_source", {"Manual", "Battery", "Corded electric", "Manual"},
     {{"Garden Tools", {{"Spades", "Digging Spade", 35, O::kNone},
                        {"Pruners", "Bypass Pruner", 25, O::kNone},
                        {"Rakes", "Leaf Rake", 22, O::kNone},
                        {"Hoes", "Dutch Hoe", 24, O::kNone},
                        {"Trowels", "Hand Trowel", 12, O::kNone}}},
      {"Watering", {{"Hoses", "Garden Hose", 35, O::kLengthM},
                    {"Sprinklers", "Oscillating Sprinkler", 29, O::kNone},
                    {"Watering Cans", "Watering Can", 19, O::kColour},
                    {"Hose Reels", "Hose Reel", 59, O::kNone},
                    {"Drip Kits", "Drip Irrigation Kit", 45, O::kNone}}},
      {"Outdoor Furniture", {{"Patio Chairs", "Patio Chair", 89, O::kColour},
                             {"Patio Tables", "Patio Table", 199, O::kNone},
                             {"Hammocks", "Hammock", 69, O::kColour},
                             {"Sun Loungers", "Sun Lounger", 149, O::kColour},
                             {"Parasols", "Parasol", 79, O::kColour}}},
      {"Grills", {{"Gas Grills", "Gas Grill", 449, O::kNone},
                  {"Charcoal Grills", "Kettle Charcoal Grill", 149, O::kColour},
                  {"Grill Tools", "Grill Tool Set", 35, O::kNone},
                  {"Smokers", "Offset Smoker", 349, O::kNone},
                  {"Grill Covers", "Grill Cover", 29, O::kNone}}},
      {"Lawn Care", {{"Lawn Mowers", "Lawn Mower", 299, O::kNone},
                     {"Trimmers", "String Trimmer", 89, O::kNone},
                     {"Leaf Blowers", "Leaf Blower", 119, O::kNone},
                     {"Fertilisers", "Lawn Fertiliser", 25, O::kWeightKg},
                     {"Lawn Seed", "Grass Seed", 19, O::kWeightKg}}},
      {"Plants & Seeds", {{"Vegetable Seeds", "Vegetable Seed Pack", 5, O::kNone},
                          {"Flower Bulbs", "Tulip Bulbs", 12, O::kNone},
                          {"Planters", "Planter", 35, O::kColour},
                          {"Potting Soil", "Potting Compost", 12, O::kVolumeMl},
                          {"Grow Lights", "LED Grow Light", 59, O::kNone}}}}},
};

constexpr size_t kSubsPerDepartment = 6;
constexpr size_t kLeavesPerSub = 5;

constexpr const char* kColours[] = {"Black", "White", "Silver", "Space Grey", "Navy",
                                    "Red", "Forest Green", "Sky Blue", "Sand", "Charcoal"};
constexpr const char* kStorage[] = {"64 GB", "128 GB", "256 GB", "512 GB", "1 TB"};
constexpr const char* kSizesCm[] = {"16 cm", "20 cm", "24 cm", "28 cm", "32 cm"};
constexpr const char* kApparelSizes[] = {"XS", "S", "M", "L", "XL", "XXL"};
constexpr const char* kShoeSizes[] = {"37", "38", "39", "40", "41", "42", "43", "44", "45", "46"};
constexpr const char* kWeights[] = {"2 kg", "4 kg", "6 kg", "8 kg", "10 kg", "12 kg"};
constexpr const char* kVolumes[] = {"30 ml", "50 ml", "100 ml", "150 ml", "250 ml"};
constexpr const char* kFormats[] = {"Paperback", "Hardcover", "Large Print", "Audio CD"};
constexpr const char* kLengths[] = {"10 m", "15 m", "20 m", "30 m"};
constexpr int kWarrantyYears[] = {1, 2, 2, 3, 5};

// Brand names: a syllable and an ending, 26 x 15 = 390 combinations of which 300 are used.
constexpr const char* kBrandStarts[] = {"Al", "Bel", "Cor", "Dal", "El", "Fen", "Gar", "Hal", "Is",
                                        "Jun", "Kes", "Lum", "Mar", "Nor", "Or", "Pel", "Quin",
                                        "Ros", "Sol", "Tav", "Ul", "Ver", "Wil", "Xan", "Yor", "Zen"};
constexpr const char* kBrandEnds[] = {"ara", "ex", "ion", "ora", "vik", "wood", "line", "tek",
                                      "ford", "ix", "is", "ano", "eon", "ova", "ane"};
constexpr uint64_t kBrands = 300;
constexpr uint64_t kBrandsPerDepartment = 48;

// Quantiles of a log-normal distribution (sigma 0.55, median 1) at (k + 0.5) / 64, times
// 10,000: prices and weights spread around their median without floating point.
constexpr int kLogNormal[64] = {
    2646,  3352,  3795,  4146,  4447,  4717,  4966,  5199,  5421,  5634,  5840,  6040,  6236,
    6429,  6619,  6807,  6994,  7180,  7365,  7550,  7736,  7922,  8109,  8298,  8488,  8680,
    8874,  9072,  9272,  9475,  9682,  9893,  10108, 10329, 10554, 10786, 11023, 11268, 11521,
    11782, 12052, 12332, 12623, 12927, 13245, 13578, 13928, 14298, 14690, 15108, 15554, 16035,
    16555, 17123, 17749, 18446, 19233, 20137, 21200, 22488, 24122, 26351, 29835, 37797};

// ---------------------------------------------------------------------------------------
// Pieces of a product
// ---------------------------------------------------------------------------------------

struct Place {
  const Department* department;
  const SubCategory* sub;
  const Leaf* leaf;
  size_t department_index;
};

Place PickPlace(Rng& rng) {
  int w = static_cast<int>(rng.below(100));
  size_t d = 0;
  while (d + 1 < std::size(kDepartments) && w >= kDepartments[d].weight) w -= kDepartments[d++].weight;
  const Department& dep = kDepartments[d];
  const SubCategory& sub = dep.subs[rng.below(kSubsPerDepartment)];
  return {&dep, &sub, &sub.leaves[rng.below(kLeavesPerSub)], d};
}

std::string BrandName(uint64_t b, const Department& dep) {
  const uint64_t combo = (b * 7 + 3) % (std::size(kBrandStarts) * std::size(kBrandEnds));  // 7 is coprime to 390
  std::string name = kBrandStarts[combo / std::size(kBrandEnds)];
  name += kBrandEnds[combo % std::size(kBrandEnds)];
  if (b % 3 == 0) {
    name += ' ';
    name += dep.brand_suffixes[b % 2];
  }
  return name;
}

// A brand from the department's pool of 48, favouring the first ones (a product of two
// uniforms), as real catalogs have a few big brands and a long tail. Pools overlap.
uint64_t PickBrand(Rng& rng, size_t department) {
  const uint64_t a = rng.below(kBrandsPerDepartment);
  const uint64_t b = rng.below(kBrandsPerDepartment);
  return (department * 36 + a * b / kBrandsPerDepartment) % kBrands;
}

// A log-normal multiplier around 1.0, times 10,000, interpolated between table quantiles.
int64_t LogNormal10k(Rng& rng) {
  const uint64_t u = rng.next();
  const size_t k = u >> 58;                    // 0..63
  const int64_t f = static_cast<int64_t>((u >> 42) & 0xffff);  // position between k and k+1
  const int64_t a = kLogNormal[k];
  const int64_t b = kLogNormal[std::min<size_t>(k + 1, 63)];
  return a + (b - a) * f / 65536;
}

int64_t Pow10(int e) {
  int64_t p = 1;
  while (e-- > 0) p *= 10;
  return p;
}

// Shop prices end in .99 (or .49 below 10, or 980 for currencies without minor units).
int64_t CharmPrice(int64_t minor, int exponent, bool half) {
  if (exponent == 0) {
    return minor >= 1000 ? (minor + 50) / 100 * 100 - 20 : std::max<int64_t>(1, (minor + 5) / 10 * 10);
  }
  const int64_t unit = Pow10(exponent);
  const int64_t cent = exponent >= 2 ? unit / 100 : 1;
  int64_t major = (minor + unit / 2) / unit;
  if (major >= 100) {
    major = (major + 2) / 5 * 5;
  } else if (major < 1) {
    major = 1;
  }
  if (major < 10 && half) return major * unit - 51 * cent;
  return major * unit - cent;
}

struct OptionAxis {
  const char* name;
  const char* const* values;
  size_t count;
  int price_step_percent;  // each later value costs this much more
};

template <size_t N>
constexpr OptionAxis Axis(const char* name, const char* const (&values)[N], int step) {
  return {name, values, N, step};
}

// The axis that varies between variants, and the one held fixed (colour), if any.
void AxesFor(Options kind, OptionAxis* varying, OptionAxis* fixed, bool* has_fixed) {
  *has_fixed = false;
  switch (kind) {
    case Options::kNone:
      *varying = {nullptr, nullptr, 0, 0};
      return;
    case Options::kColour:
      *varying = Axis("colour", kColours, 0);
      return;
    case Options::kColourStorage:
      *varying = Axis("storage", kStorage, 22);
      break;
    case Options::kSizeCm:
      *varying = Axis("size", kSizesCm, 12);
      return;
    case Options::kApparel:
      *varying = Axis("size", kApparelSizes, 0);
      break;
    case Options::kShoes:
      *varying = Axis("size", kShoeSizes, 0);
      break;
    case Options::kWeightKg:
      *varying = Axis("weight", kWeights, 35);
      return;
    case Options::kVolumeMl:
      *varying = Axis("volume", kVolumes, 45);
      return;
    case Options::kFormat:
      *varying = Axis("format", kFormats, 40);
      return;
    case Options::kLengthM:
      *varying = Axis("length", kLengths, 25);
      return;
  }
  *fixed = Axis("colour", kColours, 0);
  *has_fixed = true;
}

// An EAN-13 in the 20-29 prefix range, which GS1 reserves for internal numbering, so a
// generated barcode can never collide with a real product's.
std::string Barcode(uint64_t seed, uint64_t i, int variant) {
  std::string digits = "2" + std::to_string(Mix(seed ^ Mix(i * 8 + static_cast<uint64_t>(variant))) % 10);
  const std::string rest = std::to_string(Mix(seed + i * 8 + static_cast<uint64_t>(variant)) % 10'000'000'000ull);
  digits += std::string(10 - rest.size(), '0') + rest;
  int sum = 0;
  for (size_t k = 0; k < 12; ++k) sum += (digits[k] - '0') * (k % 2 == 0 ? 1 : 3);
  digits += static_cast<char>('0' + (10 - sum % 10) % 10);
  return digits;
}

std::string Grams(int64_t g) {
  if (g < 1000) return std::to_string(g) + " g";
  std::string s = std::to_string(g / 1000) + ".";
  const int64_t hundredths = (g % 1000) / 10;
  s += static_cast<char>('0' + hundredths / 10);
  s += static_cast<char>('0' + hundredths % 10);
  return s + " kg";
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Sentences are phrased without "it is" / "they are", so singular and plural nouns
// ("Frying Pan", "Running Shoes") both read right.
std::string Description(Rng& rng, const Place& at, const std::string& brand, const char* adjective,
                        int warranty_years, const std::string& material) {
  const Department& dep = *at.department;
  std::string d = std::string("Designed for ") + rng.pick(dep.uses) + ": the " + at.leaf->noun + " from " + brand + ".";
  // One to three more sentences, in a random order without repeats.
  const std::string pool[4] = {
      std::string(rng.pick(dep.features)) + ".",
      "Made from " + material + " and built to last.",
      std::string(adjective) + " and easy to live with" +
          (warranty_years == 0 ? std::string(".") : ", with a " + std::to_string(warranty_years) + "-year warranty."),
      "Pairs well with the rest of the " + brand + " " + Lower(at.sub->name) + " range.",
  };
  const uint64_t more = 1 + rng.below(3);
  const uint64_t start = rng.below(4);
  for (uint64_t k = 0; k < more; ++k) d += " " + pool[(start + k) % 4];
  return d;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// SampleCatalog
// ---------------------------------------------------------------------------------------

SampleCatalog::SampleCatalog(SampleCatalogOptions options) : options_(std::move(options)) {
  if (!IsKnownCurrency(options_.currency)) options_.currency = "USD";
  exponent_ = CurrencyExponent(options_.currency);
  // NaN fails both comparisons and becomes 1; the only floating-point step in this file, and
  // exact: scaling by a power of two and truncating.
  double s = options_.zipf_s;
  if (!(s >= 0)) s = s < 0 ? 0 : 1;
  if (s > 4) s = 4;
  options_.zipf_s = s;
  zipf_s_q32_ = static_cast<int64_t>(s * 4294967296.0);
  for (int r = 0; r < 4; ++r) perm_keys_[r] = Mix(options_.seed * 4 + static_cast<uint64_t>(r) + 0x5eed);
  // The permutation works on 2 * perm_half_bits_ bits: the smallest even width covering
  // [0, size()), so cycle walking needs under 4 steps on average.
  unsigned bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < options_.products) bits += 2;
  perm_half_bits_ = bits / 2;
}

uint64_t SampleCatalog::popularity_rank(uint64_t i) const {
  // A 4-round Feistel network is a bijection on [0, 2^bits); walking its cycle until the
  // value falls inside [0, n) makes it one on [0, n).
  const uint64_t n = options_.products;
  if (n <= 1) return 0;
  const unsigned half = perm_half_bits_;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  uint64_t x = i;
  do {
    uint64_t l = x >> half, r = x & mask;
    for (uint64_t key : perm_keys_) {
      const uint64_t next_r = l ^ (Mix(r ^ key) & mask);
      l = r;
      r = next_r;
    }
    x = (l << half) | r;
  } while (x >= n);
  return x;
}

uint64_t SampleCatalog::index_at_rank(uint64_t rank) const {
  const uint64_t n = options_.products;
  if (n <= 1) return 0;
  const unsigned half = perm_half_bits_;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  uint64_t x = rank;
  do {
    uint64_t l = x >> half, r = x & mask;
    for (int k = 3; k >= 0; --k) {
      const uint64_t prev_l = r ^ (Mix(l ^ perm_keys_[k]) & mask);
      r = l;
      l = prev_l;
    }
    x = (l << half) | r;
  } while (x >= n);
  return x;
}

uint64_t SampleCatalog::popular_index(double u01) const {
  const uint64_t n = options_.products;
  if (n <= 1) return 0;
  // Continuous inverse of the Zipf CDF: rank k (1-based) owns [k - 0.5, k + 0.5) of a density
  // x^-s on [0.5, n + 0.5]. All in 32.32 fixed point.
  const double clamped = u01 >= 0 ? (u01 < 1 ? u01 : 1) : 0;
  const auto u = static_cast<int64_t>(std::min(clamped * 4294967296.0, 4294967295.0));
  const int64_t log_lo = -kOne;                                  // log2(0.5)
  const int64_t log_hi = Log2Fixed(2 * n + 1) - kOne;            // log2(n + 0.5)
  const int64_t e = kOne - zipf_s_q32_;                          // 1 - s
  int64_t t;
  if (e > -(kOne >> 16) && e < (kOne >> 16)) {                   // s == 1: log-uniform
    t = log_lo + static_cast<int64_t>((static_cast<__int128>(log_hi - log_lo) * u) >> 32);
  } else {
    auto pow_e = [&](int64_t log2x) {  // x^(1-s) in 32.32
      return static_cast<__int128>(Exp2Scaled(static_cast<int64_t>((static_cast<__int128>(e) * log2x) >> 32), 32));
    };
    const __int128 a = pow_e(log_lo);
    const __int128 b = pow_e(log_hi);
    const __int128 v = a + (((b - a) * u) >> 32);
    const int64_t log_v = Log2Fixed(static_cast<uint64_t>(std::max<__int128>(v, 1))) - 32 * kOne;
    t = static_cast<int64_t>((static_cast<__int128>(log_v) << 32) / e);
  }
  const uint64_t x = Exp2Scaled(t, 32);
  uint64_t rank = (x + (uint64_t{1} << 31)) >> 32;  // nearest k, 1-based
  rank = std::clamp<uint64_t>(rank, 1, n) - 1;
  return index_at_rank(rank);
}

std::string SampleCatalog::ProductId(uint64_t i) {
  std::string digits = std::to_string(i);
  return "p" + std::string(digits.size() < 8 ? 8 - digits.size() : 0, '0') + digits;
}

std::string SampleCatalog::Sku(uint64_t i, int variant) {
  std::string id = ProductId(i);
  id[0] = 'S';
  return id + "-" + std::to_string(variant);
}

std::vector<Category> SampleCatalog::categories() const {
  std::vector<Category> out;
  for (const Department& d : kDepartments) out.push_back({CategoryIdFromPath({d.name}), d.name, ""});
  for (const Department& d : kDepartments) {
    for (const SubCategory& s : d.subs) {
      out.push_back({CategoryIdFromPath({d.name, s.name}), s.name, CategoryIdFromPath({d.name})});
    }
  }
  for (const Department& d : kDepartments) {
    for (const SubCategory& s : d.subs) {
      const std::string parent = CategoryIdFromPath({d.name, s.name});
      for (const Leaf& l : s.leaves) out.push_back({CategoryIdFromPath({d.name, s.name, l.name}), l.name, parent});
    }
  }
  return out;
}

Product SampleCatalog::product(uint64_t i) const {
  Rng rng(Mix(options_.seed) ^ Mix(i + 0x1234567));
  const Place at = PickPlace(rng);
  const Department& dep = *at.department;
  const uint64_t brand_index = PickBrand(rng, at.department_index);
  const std::string brand = BrandName(brand_index, dep);
  const char* adjective = rng.pick(dep.adjectives);

  Product p;
  p.id = ProductId(i);
  p.brand = brand;
  p.categories = {CategoryIdFromPath({dep.name, at.sub->name, at.leaf->name})};
  p.status = ProductStatus::kActive;

  // Model number: the brand's first two letters and a number, as on real packaging.
  std::string model = brand.substr(0, 2);
  for (char& c : model) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  // (Draws are separate statements: C++ leaves the order of operands unspecified, and the
  // order of draws is the catalog.)
  const uint64_t model_number = 100 + rng.below(900);
  const uint64_t model_scale = rng.percent(30) ? 10 : 1;
  model += "-" + std::to_string(model_number * model_scale);

  // Variants: consecutive values of the varying option; a colour held fixed for those that
  // have one (a shirt in one colour, S to XL).
  OptionAxis varying{}, fixed{};
  bool has_fixed = false;
  AxesFor(at.leaf->options, &varying, &fixed, &has_fixed);
  const uint64_t wanted = varying.count == 0 ? 1 : 1 + rng.below(4);
  const uint64_t count = std::min<uint64_t>(wanted, varying.count == 0 ? 1 : varying.count);
  const uint64_t first = varying.count == 0 ? 0 : rng.below(varying.count - count + 1);
  const char* colour = has_fixed ? fixed.values[rng.below(fixed.count)] : nullptr;
  if (varying.name) p.options.push_back(varying.name);
  if (colour) p.options.push_back("colour");

  const int64_t base_minor = at.leaf->median * Pow10(exponent_) * LogNormal10k(rng) / 10000;
  const bool half = rng.percent(40);
  for (uint64_t k = 0; k < count; ++k) {
    Variant v;
    v.sku = Sku(i, static_cast<int>(k + 1));
    if (varying.name) v.options[varying.name] = varying.values[first + k];
    if (colour) v.options["colour"] = colour;
    const int64_t step = varying.price_step_percent * static_cast<int64_t>(k);
    const int64_t minor = CharmPrice(base_minor * (100 + step) / 100, exponent_, half);
    v.price = Money{std::clamp<int64_t>(minor, 1, kMaxMoneyMinor), options_.currency};
    v.barcode = Barcode(options_.seed, i, static_cast<int>(k + 1));
    p.variants.push_back(std::move(v));
  }

  p.title = brand + " " + adjective + " " + at.leaf->noun + " " + model;
  if (colour) p.title += std::string(" \u2013 ") + colour;  // en dash: titles are UTF-8

  const std::string material = rng.pick(dep.materials);
  const int warranty_years = dep.warranty ? rng.pick(kWarrantyYears) : 0;
  p.attributes[dep.material_key] = material;
  p.attributes["weight"] = Grams(std::max<int64_t>(5, dep.median_grams * LogNormal10k(rng) / 10000));
  if (warranty_years > 0) {
    p.attributes["warranty"] = std::to_string(warranty_years) + (warranty_years == 1 ? " year" : " years");
  }
  p.attributes[dep.extra_key] = rng.pick(dep.extra_values);
  if (std::string_view(dep.name) == "Books") {
    p.attributes["pages"] = std::to_string(48 + rng.below(600));
  }
  p.description = Description(rng, at, brand, adjective, warranty_years, material);

  // Popularity: 2^40 / (rank + 1)^s, so the top product is about 10^12 and the shape is Zipf.
  const uint64_t rank = popularity_rank(i);
  const int64_t log_pop = 40 * kOne - static_cast<int64_t>((static_cast<__int128>(zipf_s_q32_) * Log2Fixed(rank + 1)) >> 32);
  p.popularity = static_cast<int64_t>(std::min<uint64_t>(Exp2Scaled(log_pop, 0), INT64_MAX));
  return p;
}

void SampleCatalog::write_jsonl(std::ostream& out, std::function<void(uint64_t)> progress) const {
  // Products name their categories by path of display names, so the file is self-contained:
  // importing it creates the category tree (category_ids would need the tree first).
  std::map<std::string, std::vector<std::string>> paths;
  for (const Category& c : categories()) {
    std::vector<std::string> path = c.parent_id.empty() ? std::vector<std::string>{} : paths[c.parent_id];
    path.push_back(c.name);
    paths[c.id] = std::move(path);
  }
  rapidjson::StringBuffer buf;
  for (uint64_t i = 0; i < size(); ++i) {
    const Product p = product(i);
    buf.Clear();
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto str = [&](const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
    auto map = [&](const std::map<std::string, std::string>& m) {
      w.StartObject();
      for (const auto& [k, v] : m) {
        str(k);
        str(v);
      }
      w.EndObject();
    };
    w.StartObject();
    w.Key("id");
    str(p.id);
    w.Key("title");
    str(p.title);
    w.Key("description");
    str(p.description);
    w.Key("brand");
    str(p.brand);
    w.Key("categories");
    w.StartArray();
    for (const std::string& c : p.categories) {
      w.StartArray();
      for (const std::string& name : paths[c]) str(name);
      w.EndArray();
    }
    w.EndArray();
    w.Key("attributes");
    map(p.attributes);
    w.Key("options");
    w.StartArray();
    for (const std::string& o : p.options) str(o);
    w.EndArray();
    w.Key("variants");
    w.StartArray();
    for (const Variant& v : p.variants) {
      w.StartObject();
      w.Key("sku");
      str(v.sku);
      w.Key("price");
      w.Int64(v.price.minor);
      w.Key("currency");
      str(v.price.currency);
      w.Key("options");
      map(v.options);
      w.Key("barcode");
      str(v.barcode);
      w.EndObject();
    }
    w.EndArray();
    w.Key("status");
    w.String(ProductStatusName(p.status));
    w.Key("popularity");
    w.Int64(p.popularity);
    w.EndObject();
    out.write(buf.GetString(), static_cast<std::streamsize>(buf.GetSize()));
    out.put('\n');
    if (progress && (i + 1) % 10'000 == 0) progress(i + 1);
  }
  if (progress) progress(size());
}

}  // namespace commerce
